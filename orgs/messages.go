package orgs

import "github.com/latchauth/latch"

// Messages the plugin sends.
const (
	// MessageInvited invites an address to an organization (Link accepts).
	MessageInvited latch.MessageKind = "organization_invitation"
	// MessageRequestAccepted tells a user their request to join was
	// accepted.
	MessageRequestAccepted latch.MessageKind = "organization_request_accepted"
	// MessageRemoved tells a user they were removed from an organization.
	MessageRemoved latch.MessageKind = "organization_membership_removed"
	// MessageDomainCode carries the code that proves an organization's
	// affiliation with a domain.
	MessageDomainCode latch.MessageKind = "organization_domain_code"
)

func (p *Plugin) addMessages(h *latch.Host) error {
	msgs := map[latch.MessageKind]map[string]latch.MessageTemplate{
		MessageInvited: {
			"en": {Subject: "You are invited to join {{.Organization}} on {{.AppName}}",
				Text: "You have been invited to join {{.Organization}} on {{.AppName}}.\n\nAccept the invitation: {{.Link}}\n\nIf you did not expect this, ignore this message."},
			"fr": {Subject: "Invitation à rejoindre {{.Organization}} sur {{.AppName}}",
				Text: "Vous êtes invité à rejoindre {{.Organization}} sur {{.AppName}}.\n\nAccepter l'invitation : {{.Link}}\n\nSi vous ne vous y attendiez pas, ignorez ce message."},
		},
		MessageRequestAccepted: {
			"en": {Subject: "You joined {{.Organization}} on {{.AppName}}",
				Text: "Your request to join {{.Organization}} was accepted.\n\nOpen it: {{.Link}}"},
			"fr": {Subject: "Vous avez rejoint {{.Organization}} sur {{.AppName}}",
				Text: "Votre demande pour rejoindre {{.Organization}} a été acceptée.\n\nOuvrir : {{.Link}}"},
		},
		MessageRemoved: {
			"en": {Subject: "You were removed from {{.Organization}} on {{.AppName}}",
				Text: "An administrator removed you from {{.Organization}} on {{.AppName}}. You no longer have access to it."},
			"fr": {Subject: "Vous avez été retiré de {{.Organization}} sur {{.AppName}}",
				Text: "Un administrateur vous a retiré de {{.Organization}} sur {{.AppName}}. Vous n'y avez plus accès."},
		},
		MessageDomainCode: {
			"en": {Subject: "{{.Code}} is your {{.AppName}} domain verification code",
				Text: "Enter {{.Code}} to verify that your organization owns the domain of {{.Email}}. It expires in 10 minutes."},
			"fr": {Subject: "{{.Code}} est votre code de vérification de domaine {{.AppName}}",
				Text: "Saisissez {{.Code}} pour vérifier que votre organisation possède le domaine de {{.Email}}. Il expire dans 10 minutes."},
		},
	}
	for _, k := range []latch.MessageKind{MessageInvited, MessageRequestAccepted, MessageRemoved, MessageDomainCode} {
		if err := h.AddMessage(k, msgs[k]); err != nil {
			return err
		}
	}
	return nil
}
