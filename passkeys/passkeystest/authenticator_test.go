package passkeystest_test

import (
	"bytes"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/latchauth/latch/passkeys/passkeystest"
)

const creation = `{"publicKey":{"challenge":"Y2hhbGxlbmdl","rp":{"id":"app.example","name":"Acme"},
"user":{"id":"dXNlcl8x","name":"ada","displayName":"Ada"},"pubKeyCredParams":[{"type":"public-key","alg":-7}]}}`

const request = `{"publicKey":{"challenge":"Y2hhbGxlbmdl","rpId":"app.example"}}`

// TestAnswersParseAsWebAuthn: what the authenticator makes is a credential
// and an assertion that a WebAuthn library reads, for the origin, user and
// credential it was given.
func TestAnswersParseAsWebAuthn(t *testing.T) {
	key := &passkeystest.Authenticator{Origin: "https://app.example"}
	raw, cred, err := key.Create([]byte(creation))
	if err != nil {
		t.Fatal(err)
	}
	made, err := protocol.ParseCredentialCreationResponseBytes(raw)
	if err != nil {
		t.Fatalf("creation response: %v", err)
	}
	if made.Response.CollectedClientData.Origin != key.Origin || !bytes.Equal(made.RawID, cred.ID) || string(cred.UserHandle) != "user_1" {
		t.Fatalf("created %+v for %q", made.Response.CollectedClientData, cred.UserHandle)
	}
	raw, err = key.Get([]byte(request), cred)
	if err != nil {
		t.Fatal(err)
	}
	got, err := protocol.ParseCredentialRequestResponseBytes(raw)
	if err != nil {
		t.Fatalf("request response: %v", err)
	}
	if !bytes.Equal(got.RawID, cred.ID) || !got.Response.AuthenticatorData.Flags.UserVerified() {
		t.Fatalf("asserted with %x (flags %v), want %x, user verified", got.RawID, got.Response.AuthenticatorData.Flags, cred.ID)
	}
}
