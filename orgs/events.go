package orgs

import (
	"encoding/json"

	"github.com/latchauth/latch"
)

// Event types the plugin emits. Each is written in the transaction of the
// change it reports.
const (
	EventOrganizationCreated = "organization.created"
	EventOrganizationUpdated = "organization.updated"
	EventOrganizationDeleted = "organization.deleted"

	EventMembershipCreated = "organizationMembership.created"
	EventMembershipUpdated = "organizationMembership.updated"
	EventMembershipDeleted = "organizationMembership.deleted"

	EventInvitationCreated  = "organizationInvitation.created"
	EventInvitationAccepted = "organizationInvitation.accepted"
	EventInvitationRevoked  = "organizationInvitation.revoked"

	EventDomainCreated  = "organizationDomain.created"
	EventDomainVerified = "organizationDomain.verified"
	EventDomainUpdated  = "organizationDomain.updated"
	EventDomainDeleted  = "organizationDomain.deleted"

	EventRequestCreated  = "organizationMembershipRequest.created"
	EventRequestAccepted = "organizationMembershipRequest.accepted"
	EventRequestRejected = "organizationMembershipRequest.rejected"
)

const (
	exampleOrg        = `{"id":"org_2x9fQmA1","object":"organization","name":"Acme","slug":"acme","max_allowed_memberships":0,"require_second_factor":false,"restrict_to_domains":false,"created_by":"user_2x9fQmK8","created_at":"2025-06-01T09:30:00Z","updated_at":"2025-06-01T09:30:00Z"}`
	exampleMembership = `{"id":"mem_2x9fQmB2","object":"organization_membership","organization_id":"org_2x9fQmA1","user_id":"user_2x9fQmK8","role":"org:admin","created_at":"2025-06-01T09:30:00Z","updated_at":"2025-06-01T09:30:00Z"}`
	exampleInvitation = `{"id":"inv_2x9fQmC3","object":"organization_invitation","organization_id":"org_2x9fQmA1","email_address":"grace@example.com","role":"org:member","status":"pending","inviter_id":"user_2x9fQmK8","expires_at":"2025-06-08T09:30:00Z","created_at":"2025-06-01T09:30:00Z","updated_at":"2025-06-01T09:30:00Z"}`
	exampleDomain     = `{"id":"dom_2x9fQmD4","object":"organization_domain","organization_id":"org_2x9fQmA1","name":"acme.example","enrollment_mode":"automatic_suggestion","include_subdomains":false,"verified":true,"verified_at":"2025-06-01T09:35:00Z","created_at":"2025-06-01T09:30:00Z"}`
	exampleRequest    = `{"id":"orgreq_2x9fQmE5","object":"organization_membership_request","organization_id":"org_2x9fQmA1","user_id":"user_2x9fQmK9","email_address":"lin@acme.example","status":"pending","created_at":"2025-06-01T09:30:00Z","updated_at":"2025-06-01T09:30:00Z"}`
)

// events are the catalogue entries of the event types this package emits.
var events = []latch.EventType{
	{Name: EventOrganizationCreated, Description: "An organization was created.", Payload: json.RawMessage(exampleOrg)},
	{Name: EventOrganizationUpdated, Description: "An organization's profile or settings changed.", Payload: json.RawMessage(exampleOrg)},
	{Name: EventOrganizationDeleted, Description: "An organization was deleted, with its memberships, invitations and domains.",
		Payload: json.RawMessage(`{"id":"org_2x9fQmA1","object":"organization","slug":"acme","deleted":true}`)},
	{Name: EventMembershipCreated, Description: "A user joined an organization (source: direct, invitation, request).",
		Payload: json.RawMessage(exampleMembership[:len(exampleMembership)-1] + `,"source":"invitation"}`)},
	{Name: EventMembershipUpdated, Description: "A member's role changed.", Payload: json.RawMessage(exampleMembership)},
	{Name: EventMembershipDeleted, Description: "A member left or was removed.", Payload: json.RawMessage(exampleMembership)},
	{Name: EventInvitationCreated, Description: "Someone was invited to an organization by email.", Payload: json.RawMessage(exampleInvitation)},
	{Name: EventInvitationAccepted, Description: "An organization invitation was accepted.", Payload: json.RawMessage(exampleInvitation)},
	{Name: EventInvitationRevoked, Description: "A pending organization invitation was revoked.", Payload: json.RawMessage(exampleInvitation)},
	{Name: EventDomainCreated, Description: "A domain was added to an organization.", Payload: json.RawMessage(exampleDomain)},
	{Name: EventDomainVerified, Description: "An organization proved its affiliation with a domain.", Payload: json.RawMessage(exampleDomain)},
	{Name: EventDomainUpdated, Description: "A domain's enrollment mode changed.", Payload: json.RawMessage(exampleDomain)},
	{Name: EventDomainDeleted, Description: "A domain was removed from an organization.", Payload: json.RawMessage(exampleDomain)},
	{Name: EventRequestCreated, Description: "A user suggested an organization asked to join it.", Payload: json.RawMessage(exampleRequest)},
	{Name: EventRequestAccepted, Description: "A membership request was accepted.", Payload: json.RawMessage(exampleRequest)},
	{Name: EventRequestRejected, Description: "A membership request was rejected.", Payload: json.RawMessage(exampleRequest)},
}

// EventTypes lists the names of the event types the plugin emits.
func EventTypes() []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Name
	}
	return out
}
