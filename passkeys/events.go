package passkeys

import (
	"encoding/json"

	"github.com/latchauth/latch"
)

const examplePasskey = `{"id":"cred_2x9fQmR2","object":"passkey","name":"MacBook","kind":"passkey",` +
	`"created_at":"2025-06-01T09:30:00Z","last_used_at":null,"backup_eligible":true,"backed_up":true,"transports":["internal","hybrid"]}`

// events are the catalogue entries of the event types this package emits.
var events = []latch.EventType{
	{Name: EventPasskeyCreated, Description: "A passkey or security key was registered.", Payload: json.RawMessage(examplePasskey)},
	{Name: EventPasskeyUpdated, Description: "A passkey or security key was renamed.", Payload: json.RawMessage(examplePasskey)},
	{Name: EventPasskeyDeleted, Description: "A passkey or security key was removed.",
		Payload: json.RawMessage(`{"id":"cred_2x9fQmR2","object":"passkey"}`)},
}
