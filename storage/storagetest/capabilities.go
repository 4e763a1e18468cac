package storagetest

import (
	"reflect"

	"github.com/latchauth/latch/storage"
)

// capOf returns v as the capability T, or skips the test, naming T, when
// v lacks it: a store is checked on every capability it has, and a
// missing one is reported as skipped rather than failed, since the core
// Store does not require it.
func capOf[T any](e *env, v any) T {
	c, ok := v.(T)
	if !ok {
		e.t.Skipf("the store lacks the capability %s", reflect.TypeFor[T]())
	}
	return c
}

func (e *env) orgs() storage.OrganizationStore  { return capOf[storage.OrganizationStore](e, e.s) }
func (e *env) members() storage.MembershipStore { return capOf[storage.MembershipStore](e, e.s) }
func (e *env) domains() storage.DomainStore     { return capOf[storage.DomainStore](e, e.s) }
func (e *env) roles() storage.RoleStore         { return capOf[storage.RoleStore](e, e.s) }
func (e *env) billing() storage.BillingStore    { return capOf[storage.BillingStore](e, e.s) }
func (e *env) linked() storage.ConnectedAccountStore {
	return capOf[storage.ConnectedAccountStore](e, e.s)
}
func (e *env) admin() storage.AdminStore { return capOf[storage.AdminStore](e, e.s) }
func (e *env) prune() storage.SigningKeyPruneStore {
	return capOf[storage.SigningKeyPruneStore](e, e.s)
}
func (e *env) locks() storage.OrganizationLockStore {
	return capOf[storage.OrganizationLockStore](e, e.s)
}
func (e *env) invitesFor() storage.OrganizationInvitationStore {
	return capOf[storage.OrganizationInvitationStore](e, e.s)
}
func (e *env) claims() storage.MembershipClaimsStore {
	return capOf[storage.MembershipClaimsStore](e, e.s)
}
func (e *env) roleSets() storage.RoleSetStore { return capOf[storage.RoleSetStore](e, e.s) }
func (e *env) requests() storage.MembershipRequestStore {
	return capOf[storage.MembershipRequestStore](e, e.s)
}
func (e *env) teams() storage.TeamStore { return capOf[storage.TeamStore](e, e.s) }
