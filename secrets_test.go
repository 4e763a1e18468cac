package latch_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/storage"
)

// onStore is a Latch instance on store with the given secret, sharing clock:
// one process of an app that restarts or runs several instances.
func onStore(t *testing.T, store storage.Store, clock *latchtest.Clock, baseURL string, secrets [][]byte, secretsFile string, log io.Writer) *app {
	t.Helper()
	if log == nil {
		log = io.Discard
	}
	h := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{
		Store: store, BaseURL: baseURL, Secrets: secrets, SecretsFile: secretsFile, Clock: clock.Now,
		Logger: slog.New(slog.NewTextHandler(log, nil)),
	}})
	h.Clock = clock
	mux := http.NewServeMux()
	mux.Handle("/", h.Handler())
	mux.Handle("GET /whoami", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := latch.SessionFromContext(r.Context()); s != nil {
			io.WriteString(w, s.UserID)
			return
		}
		io.WriteString(w, "signed-out")
	}))
	return &app{Harness: h, handler: h.Middleware(mux)}
}

func randomSecret(t *testing.T) []byte {
	t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

func jwksStatus(t *testing.T, a *app) (int, int) {
	t.Helper()
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &set)
	return rec.Code, len(set.Keys)
}

// A restart with another secret (a random development secret, or a secret
// removed from Config.Secrets) used to leave signing keys nobody could open:
// JWKS answered 503 and nobody could sign in until the database was deleted.
func TestRestartWithNewSecretMintsNewSigningKeys(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		clock := latchtest.NewClock(latchtest.Start)
		first := onStore(t, s, clock, base, [][]byte{randomSecret(t)}, "", nil)
		u := first.user(t, "ada@example.com")
		old := latchtest.SignIn(t, first.Auth, first.browser(), u.ID)

		var log bytes.Buffer
		secret := randomSecret(t)
		restarted := onStore(t, s, clock, base, [][]byte{secret}, "", &log)
		if code, n := jwksStatus(t, restarted); code != http.StatusOK || n < 2 {
			t.Fatalf("JWKS after a restart with a new secret: %d with %d keys, want 200 with the new keys", code, n)
		}
		b := restarted.browser()
		latchtest.SignIn(t, restarted.Auth, b, u.ID)
		if got := whoami(t, b); got != u.ID {
			t.Fatalf("signed in after the restart: %q", got)
		}
		if !strings.Contains(log.String(), "no configured secret opens these signing keys") {
			t.Errorf("the replacement was not logged with its reason: %s", log.String())
		}
		// The old key still verifies what it signed until that expires.
		if _, err := restarted.Verifier().Verify(old.Token); err != nil && !strings.Contains(err.Error(), "expired") {
			t.Errorf("token of the replaced key refused: %v", err)
		}
		// A second restart with the same secret keeps the keys it minted,
		// and with them the browser's session.
		var log2 bytes.Buffer
		again := onStore(t, s, clock, base, [][]byte{secret}, "", &log2)
		if got := func() string { b.Handler = again.handler; return whoami(t, b) }(); got != u.ID {
			t.Errorf("signed out by a restart with the same secret: %q", got)
		}
		if strings.Contains(log2.String(), "no configured secret") {
			t.Errorf("keys replaced although the secret opens them: %s", log2.String())
		}
	})
}

func TestMissingSecretErrorSaysWhatToSet(t *testing.T) {
	_, err := latch.New(latch.Config{Store: memStore(), BaseURL: "https://app.example.com"})
	if err == nil {
		t.Fatal("New accepted a production BaseURL without Secrets")
	}
	for _, want := range []string{"Config.Secrets is required", "openssl rand -base64 32", "latch.ParseSecrets", "SecretsFile"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// A missing SecretsFile is not created in production.
	path := filepath.Join(t.TempDir(), "secrets")
	_, err = latch.New(latch.Config{Store: memStore(), BaseURL: "https://app.example.com", SecretsFile: path})
	if err == nil || !strings.Contains(err.Error(), "openssl rand -base64 32 > "+path) {
		t.Errorf("missing SecretsFile in production: %v", err)
	}
	if _, statErr := os.Stat(path); statErr == nil {
		t.Error("a production SecretsFile was created")
	}
}

// The development setup that persists its secret is one line, SecretsFile,
// and a restart then signs nobody out.
func TestSecretsFileKeepsSessionsAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.db.secrets")
	store := stores.SQLite(t)
	clock := latchtest.NewClock(latchtest.Start)
	const dev = "http://localhost:8080"
	first := onStore(t, store, clock, dev, nil, path, nil)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("SecretsFile not created: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("SecretsFile mode %v, want 0600", fi.Mode().Perm())
	}
	u := first.user(t, "ada@example.com")
	b := first.browser()
	latchtest.SignIn(t, first.Auth, b, u.ID)

	var log bytes.Buffer
	restarted := onStore(t, store, clock, dev, nil, path, &log)
	if got := func() string { b.Handler = restarted.handler; return whoami(t, b) }(); got != u.ID {
		t.Errorf("signed out by a restart: %q", got)
	}
	if code, _ := jwksStatus(t, restarted); code != http.StatusOK {
		t.Errorf("JWKS after restart: %d", code)
	}
	if log.Len() != 0 && strings.Contains(log.String(), "level=WARN") {
		t.Errorf("warnings after a restart with a SecretsFile: %s", log.String())
	}
}

func TestParseSecrets(t *testing.T) {
	a, b := randomSecret(t), randomSecret(t)
	got, err := latch.ParseSecrets(base64.StdEncoding.EncodeToString(a) + ",\n " + base64.RawURLEncoding.EncodeToString(b) + "\n")
	if err != nil || len(got) != 2 || !bytes.Equal(got[0], a) || !bytes.Equal(got[1], b) {
		t.Fatalf("ParseSecrets = %d secrets, %v", len(got), err)
	}
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(a[:16])} {
		if _, err := latch.ParseSecrets(bad); err == nil {
			t.Errorf("ParseSecrets(%q) accepted", bad)
		} else if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("error quotes the secret: %v", err)
		}
	}
}

func TestRotateTooSoonSaysWhenToRetry(t *testing.T) {
	a := newApp(t, latch.Config{})
	if _, err := a.JWKS(ctx); err != nil {
		t.Fatal(err)
	}
	err := a.RotateSigningKeys(ctx)
	if !errors.Is(err, latch.ErrRotationTooSoon) {
		t.Fatalf("rotation right after the first keys: %v, want ErrRotationTooSoon", err)
	}
	at, ok := latch.RetryAt(err)
	if want := latchtest.Start.Add(time.Minute); !ok || !at.Equal(want) {
		t.Fatalf("RetryAt = %v, %v; want %v", at, ok, want)
	}
	if !strings.Contains(err.Error(), at.UTC().Format(time.RFC3339)) {
		t.Errorf("message %q does not say when to retry", err)
	}
	a.Clock.Set(at.Add(-time.Second))
	if err := a.RotateSigningKeys(ctx); !errors.Is(err, latch.ErrRotationTooSoon) {
		t.Fatalf("a second before RetryAt: %v", err)
	}
	a.Clock.Set(at)
	if err := a.RotateSigningKeys(ctx); err != nil {
		t.Fatalf("at RetryAt: %v", err)
	}
}
