package latch

// ID prefixes. An ID is the prefix, an underscore and a lower-case ULID: 48
// bits of milliseconds then 80 random bits, so that IDs sort by creation
// time (storage lists in ID order) and say what they name.
const (
	PrefixUser         = "user"
	PrefixIdentifier   = "idn"
	PrefixClient       = "client"
	PrefixSession      = "sess"
	PrefixVerification = "ver"
	PrefixEvent        = "evt"
	PrefixAudit        = "aud"
	PrefixOrganization = "org"
	PrefixMembership   = "mem"
	PrefixInvitation   = "inv"
	// PrefixExternalAccount names a user's account at an identity
	// provider.
	PrefixExternalAccount = "eac"
)
