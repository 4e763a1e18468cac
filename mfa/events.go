package mfa

import (
	"encoding/json"

	"github.com/latchauth/latch"
)

// events are the catalogue entries of the event types this package emits.
var events = []latch.EventType{
	{Name: EventFactorAdded, Description: "A second factor was set up (an authenticator app) or turned on (codes to an address or number).",
		Payload: json.RawMessage(`{"user_id":"user_2x9fQmK8","strategy":"totp"}`)},
	{Name: EventFactorRemoved, Description: "A second factor was removed or turned off.",
		Payload: json.RawMessage(`{"user_id":"user_2x9fQmK8","strategy":"phone_code"}`)},
	{Name: EventBackupCodesRegenerated, Description: "A new set of backup codes replaced the old one.",
		Payload: json.RawMessage(`{"user_id":"user_2x9fQmK8","strategy":"backup_code"}`)},
}
