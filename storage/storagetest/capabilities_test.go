package storagetest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
)

// coreOnly hides every capability of the store it wraps.
type coreOnly struct{ storage.Store }

// outcome records how one conformance test ended, without ending the
// test that runs it.
type outcome struct {
	testing.TB
	failures []string
	skipped  string
}

func (o *outcome) Error(args ...any)                 { o.failures = append(o.failures, fmt.Sprint(args...)) }
func (o *outcome) Errorf(format string, args ...any) { o.Error(fmt.Sprintf(format, args...)) }
func (o *outcome) Fatal(args ...any)                 { o.Error(args...); runtime.Goexit() }
func (o *outcome) Fatalf(format string, args ...any) { o.Errorf(format, args...); runtime.Goexit() }
func (o *outcome) Skipf(format string, args ...any) {
	o.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestAStoreWithoutCapabilitiesIsSkippedForThemByName: a store with only
// the core methods passes every core check and is skipped, with the
// capability named, for each capability it lacks, so an adapter for one
// kernel need not implement organizations or billing.
func TestAStoreWithoutCapabilitiesIsSkippedForThemByName(t *testing.T) {
	named := map[string]bool{}
	ran := 0
	for _, tc := range suite() {
		o := &outcome{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			tc.fn(&env{t: o, ctx: context.Background(), s: coreOnly{memstore.New()}})
		}()
		<-done
		if len(o.failures) > 0 {
			t.Errorf("%s failed on a core-only store: %s", tc.name, strings.Join(o.failures, "; "))
		}
		if o.skipped == "" {
			ran++
			continue
		}
		name, ok := strings.CutPrefix(o.skipped, "the store lacks the capability ")
		if !ok {
			t.Errorf("%s skipped without naming a capability: %q", tc.name, o.skipped)
		}
		named[name] = true
	}
	for _, c := range []string{"storage.OrganizationStore", "storage.MembershipStore", "storage.DomainStore",
		"storage.RoleStore", "storage.BillingStore", "storage.ConnectedAccountStore", "storage.AdminStore",
		"storage.SigningKeyPruneStore", "storage.OrganizationLockStore", "storage.OrganizationInvitationStore",
		"storage.MembershipClaimsStore", "storage.RoleSetStore", "storage.MembershipRequestStore", "storage.TeamStore"} {
		if !named[c] {
			t.Errorf("no test was skipped for the missing %s", c)
		}
	}
	if ran == 0 {
		t.Error("every test was skipped: the core checks did not run")
	}
	t.Logf("%d core checks ran; skipped for %d missing capabilities", ran, len(named))
}
