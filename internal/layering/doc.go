// Package layering holds the test that keeps the import graph of this
// module in the layers of DESIGN.md:
//
//	apps      examples/…, cmd/…, e2e               may import anything
//	testkits  latchtest, storage/storagetest       anything but apps
//	adapters  mail/…, sms/…, ratelimit/…,          anything but apps
//	          billing/stripe
//	store     storage/… (adapters of the storage   only contracts and leaves
//	adapters  contract)
//	plugins   mfa, passkeys, sso, orgs, billing,   the kernel, contracts and
//	          webhooks, web3, admin                leaves; never each other
//	kernel    the root package latch               only contracts and leaves
//	leaves    storage, token, password, …,         only contracts and leaves
//	          internal/…
//
// The package has no code of its own; `go test ./internal/layering` fails,
// naming each import that points the wrong way.
package layering
