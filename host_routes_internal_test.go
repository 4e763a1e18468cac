package latch

import (
	"net/http"
	"testing"

	"github.com/latchauth/latch/storage/memstore"
)

// TestKernelCrossSitePostRoutesArePublicPosts holds the kernel's own table
// to the rule Host.Handle enforces for plugins: only a public POST may take
// requests from other sites, which carry no session cookie.
func TestKernelCrossSitePostRoutesArePublicPosts(t *testing.T) {
	a, err := New(Config{Store: memstore.New()})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range a.kernelRoutes() {
		if r.crossSitePost && (r.method != http.MethodPost || r.signedIn) {
			t.Errorf("%s %s takes cross-site requests but is not a public POST", r.method, r.pattern)
		}
	}
}
