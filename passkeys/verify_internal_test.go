package passkeys

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/passkeys/passkeystest"
)

// verifyRig is a kernel with the plugin, a user with a passkey, and one
// discoverable ceremony whose session can be stored again and again, with
// a valid assertion for it: what Verify needs, without HTTP.
type verifyRig struct {
	p         *Plugin
	s         *passkeyStrategy
	userID    string
	session   webauthn.SessionData
	assertion []byte
}

func newVerifyRig(tb testing.TB) *verifyRig {
	tb.Helper()
	ctx := context.Background()
	p := New(Config{})
	h := latchtest.NewHarness(tb, latchtest.Options{Config: latch.Config{BaseURL: "https://app.example",
		Plugins: []latch.Plugin{p}}})
	u, err := h.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	if err != nil {
		tb.Fatal(err)
	}
	key := &passkeystest.Authenticator{Origin: "https://app.example"}
	enroll := &latch.Attempt{Purpose: latch.PurposeEnrollment, FlowID: "sess_rig", UserID: u.ID}
	opts, id, err := p.beginRegistration(ctx, enroll, KindPasskey)
	if err != nil {
		tb.Fatal(err)
	}
	cred, c, err := key.Create(opts)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := p.finishRegistration(ctx, enroll, registration{Challenge: id, Credential: cred}); err != nil {
		tb.Fatal(err)
	}
	assertion, session, err := p.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		tb.Fatal(err)
	}
	raw, _ := json.Marshal(assertion)
	signed, err := key.Get(raw, c) // no counter: the same assertion verifies each time
	if err != nil {
		tb.Fatal(err)
	}
	return &verifyRig{p: p, s: &passkeyStrategy{p}, userID: u.ID, session: *session, assertion: signed}
}

// attempt stores the rig's ceremony as a fresh challenge of a sign-in.
func (r *verifyRig) attempt(tb testing.TB, flow string) *latch.Attempt {
	at := &latch.Attempt{Purpose: latch.PurposeSignIn, FlowID: flow}
	id, err := r.p.store(context.Background(), at, ceremony{Session: r.session})
	if err != nil {
		tb.Fatal(err)
	}
	at.State, _ = json.Marshal(attemptState{Challenge: id})
	return at
}

func TestVerifyRig(t *testing.T) {
	r := newVerifyRig(t)
	for i := range 3 {
		proof, err := r.s.Verify(context.Background(), r.attempt(t, "sia_"+strconv.Itoa(i)), latch.AttemptParams{Credential: r.assertion})
		if err != nil || proof.UserID != r.userID || !proof.MultiFactor {
			t.Fatalf("verify %d: %+v %v", i, proof, err)
		}
	}
	// A form posts the credential as a JSON string.
	quoted, _ := json.Marshal(string(r.assertion))
	if _, err := r.s.Verify(context.Background(), r.attempt(t, "sia_q"), latch.AttemptParams{Credential: quoted}); err != nil {
		t.Fatalf("credential as a string: %v", err)
	}
}

// FuzzVerify feeds arbitrary request bodies through the whole path of an
// assertion: this package's unwrapping, go-webauthn's parser and
// validation, the store. Nothing may panic, and nothing but the valid
// assertion may sign anyone in.
func FuzzVerify(f *testing.F) {
	r := newVerifyRig(f)
	quoted, _ := json.Marshal(string(r.assertion))
	for _, seed := range [][]byte{r.assertion, quoted, []byte(`{}`), []byte(`null`), []byte(`""`), []byte(`"{}"`),
		[]byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"","signature":""}}`)} {
		f.Add(seed)
	}
	n := 0
	f.Fuzz(func(t *testing.T, body []byte) {
		n++
		proof, err := r.s.Verify(context.Background(), r.attempt(t, "sia_f"+strconv.Itoa(n)), latch.AttemptParams{Credential: body})
		if err == nil && (proof == nil || proof.UserID != r.userID) {
			t.Fatalf("accepted for the wrong user: %+v", proof)
		}
		if err != nil {
			var le *latch.Error
			if !asLatch(err, &le) {
				t.Fatalf("an error that is not a *latch.Error would answer 503: %v", err)
			}
		}
	})
}

func asLatch(err error, le **latch.Error) bool {
	e, ok := err.(*latch.Error)
	*le = e
	return ok
}

// BenchmarkVerifyAssertion is one passkey assertion checked end to end:
// challenge redeemed, credential found, signature verified, use recorded.
func BenchmarkVerifyAssertion(b *testing.B) {
	r := newVerifyRig(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		at := r.attempt(b, "sia_b"+strconv.Itoa(i))
		b.StartTimer()
		if _, err := r.s.Verify(ctx, at, latch.AttemptParams{Credential: r.assertion}); err != nil {
			b.Fatal(err)
		}
	}
}
