package latch

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// EventType documents one type of event: what it means and what its Data
// holds. The kernel's types and those plugins declare make up the
// catalogue (Auth.EventTypes), which docs/events.md lists.
type EventType struct {
	// Name is the event's Type, "resource.change" in lower case
	// ("user.created", "passkey.deleted"); the resource may be
	// lowerCamelCase, as Clerk names it ("organizationMembership.created").
	Name string
	// Description says when the event is emitted.
	Description string
	// Payload is an example of Data.
	Payload json.RawMessage
}

// Event types of invitations and the waitlist.
const (
	EventInvitationCreated    = "invitation.created"
	EventInvitationAccepted   = "invitation.accepted"
	EventWaitlistEntryCreated = "waitlist_entry.created"
)

// Examples of the kernel's payloads, as the JSON API shows the resources.
const (
	exampleUser = `{"id":"user_2x9fQmK8","username":"ada","first_name":"Ada","last_name":"Lovelace",` +
		`"primary_email_address_id":"idn_2x9fQmL1","email_addresses":[{"id":"idn_2x9fQmL1","kind":"email_address",` +
		`"value":"ada@example.com","verified":true,"verified_by":"email_code","primary":true,"created_at":"2025-06-01T09:30:00Z"}],` +
		`"phone_numbers":[],"password_enabled":true,"banned":false,` +
		`"locked":false,"public_metadata":{"plan":"pro"},"created_at":"2025-06-01T09:30:00Z","updated_at":"2025-06-01T09:30:00Z"}`
	exampleSession = `{"id":"sess_2x9fQmN4","user_id":"user_2x9fQmK8","status":"active","current":false,` +
		`"ip_address":"203.0.113.7","browser_name":"Firefox","os":"Linux","device_type":"desktop",` +
		`"user_agent":"Mozilla/5.0 (X11; Linux x86_64; rv:139.0) Gecko/20100101 Firefox/139.0",` +
		`"created_at":"2025-06-01T09:30:00Z","last_active_at":"2025-06-01T09:30:00Z","expire_at":"2025-06-08T09:30:00Z"}`
	exampleInvitation = `{"id":"inv_2x9fQmP7","email_address":"grace@example.com","status":"pending",` +
		`"expires_at":"2025-06-08T09:30:00Z","created_at":"2025-06-01T09:30:00Z"}`
)

// kernelEvents are the event types the kernel emits.
var kernelEvents = []EventType{
	{EventUserCreated, "A user was created: by sign-up, CreateUser or an import.", json.RawMessage(exampleUser)},
	{EventUserUpdated, "A user's profile, identifiers, password, metadata, ban or lock changed.", json.RawMessage(exampleUser)},
	{EventUserDeleted, "A user was deleted, with everything that belonged to them (their sessions are revoked first, each with its own event).", json.RawMessage(`{"id":"user_2x9fQmK8","deleted":true}`)},
	{EventSessionCreated, "A session began: a sign-in, a sign-up, or an impersonation.", json.RawMessage(exampleSession)},
	{EventSessionEnded, "A session ended by sign-out, or because the browser signed in to another account.", json.RawMessage(`{"id":"sess_2x9fQmN4"}`)},
	{EventSessionRevoked, "A session was revoked: by the user from another session, by an admin, or by a ban or a password change.", json.RawMessage(`{"id":"sess_2x9fQmN4"}`)},
	{EventInvitationCreated, "An invitation to sign up was sent.", json.RawMessage(exampleInvitation)},
	{EventInvitationAccepted, "An invitation was used to sign up.", json.RawMessage(strings.Replace(exampleInvitation, "pending", "accepted", 1))},
	{EventWaitlistEntryCreated, "Someone joined the waitlist (sign-up mode SignUpWaitlist).", json.RawMessage(strings.Replace(exampleInvitation, "pending", "waitlisted", 1))},
}

// catalogue is every event type that may be emitted, by name.
type catalogue struct {
	types map[string]EventType
}

func (c *catalogue) add(t EventType) error {
	if !validEventName(t.Name) {
		return fmt.Errorf("event type %q: use \"resource.change\" (a-z, 0-9, \"_\", one or more dots; the resource may be lowerCamelCase)", t.Name)
	}
	if t.Description == "" {
		return fmt.Errorf("event type %q has no description", t.Name)
	}
	if len(t.Payload) > 0 && !json.Valid(t.Payload) {
		return fmt.Errorf("event type %q: the payload example is not JSON", t.Name)
	}
	if _, dup := c.types[t.Name]; dup {
		return fmt.Errorf("event type %q declared twice", t.Name)
	}
	if c.types == nil {
		c.types = map[string]EventType{}
	}
	c.types[t.Name] = t
	return nil
}

func (c *catalogue) has(name string) bool {
	_, ok := c.types[name]
	return ok
}

// validEventName accepts "user.created", "mfa.backup_codes_regenerated"
// and, for the names a Clerk user knows, a lowerCamelCase resource:
// "organizationMembership.created".
func validEventName(name string) bool {
	parts := strings.Split(name, ".")
	if len(parts) < 2 || len(name) > 100 {
		return false
	}
	for i, p := range parts {
		allowed := "abcdefghijklmnopqrstuvwxyz0123456789_"
		if i == 0 {
			allowed += "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		}
		if p == "" || p[0] < 'a' || p[0] > 'z' || strings.Trim(p, allowed) != "" {
			return false
		}
	}
	return true
}

// registerKernelEvents starts the catalogue with the kernel's own types.
func (a *Auth) registerKernelEvents() {
	for _, t := range kernelEvents {
		if err := a.life.catalogue.add(t); err != nil {
			panic("latch: kernel event catalogue: " + err.Error())
		}
	}
}

// DeclareEvents adds the event types the plugin emits to the catalogue. A
// plugin declares every type it passes to Tx.Emit, in Register: emitting an
// undeclared type fails, so the catalogue is complete. A name the kernel or
// another plugin declared is refused.
func (h *Host) DeclareEvents(types ...EventType) error {
	for _, t := range types {
		if err := h.a.life.catalogue.add(t); err != nil {
			return err
		}
	}
	return nil
}

// EventTypes returns the catalogue: every event type the kernel and the
// registered plugins emit, by name, with what it means and an example of
// its payload.
func (a *Auth) EventTypes() []EventType {
	c := &a.life.catalogue
	out := make([]EventType, 0, len(c.types))
	for _, name := range slices.Sorted(maps.Keys(c.types)) {
		out = append(out, c.types[name])
	}
	return out
}
