package latch_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/storage"
)

// orgsPlugin needs organizations, a capability beyond the core store.
type orgsPlugin struct{ orgs storage.OrganizationStore }

func (*orgsPlugin) Name() string { return "orgs" }
func (p *orgsPlugin) Register(h *latch.Host) error {
	var err error
	p.orgs, err = latch.RequireStore[storage.OrganizationStore](h)
	return err
}

// coreOnly hides every capability of the store it wraps.
type coreOnly struct{ storage.Store }

func newWithPlugin(s storage.Store, p latch.Plugin) (*latch.Auth, error) {
	return latch.New(latch.Config{Store: s, Secrets: [][]byte{[]byte(strings.Repeat("s", 32))}, Plugins: []latch.Plugin{p}})
}

// TestAStoreWithoutACapabilityFailsNewNamingIt: a plugin needing storage the
// store lacks stops New with the capability's name, rather than failing the
// first request that needs it.
func TestAStoreWithoutACapabilityFailsNewNamingIt(t *testing.T) {
	_, err := newWithPlugin(coreOnly{memStore()}, &orgsPlugin{})
	if err == nil {
		t.Fatal("New accepted a store without organizations for a plugin that needs them")
	}
	for _, want := range []string{"plugin orgs", "storage.OrganizationStore"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestRequireStoreSeesThroughTheLoggingWrapper: the capability a plugin gets
// is the adapter's own, reached through the kernel's logging wrapper.
func TestRequireStoreSeesThroughTheLoggingWrapper(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		p := &orgsPlugin{}
		a, err := newWithPlugin(s, p)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		t.Cleanup(func() { a.Close() })
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		o := &storage.Organization{ID: "org_1", Name: "Acme", Slug: "acme", CreatedAt: now, UpdatedAt: now}
		if err := p.orgs.CreateOrganization(ctx, o); err != nil {
			t.Fatalf("CreateOrganization: %v", err)
		}
		if got, err := p.orgs.GetOrganizationBySlug(ctx, "ACME"); err != nil || got.ID != o.ID {
			t.Fatalf("GetOrganizationBySlug = %v, %v", got, err)
		}
	})
}
