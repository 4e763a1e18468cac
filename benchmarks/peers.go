package benchmarks

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	clerkhttp "github.com/clerk/clerk-sdk-go/v2/http"
	"github.com/clerk/clerk-sdk-go/v2/jwks"
	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/sessions"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite" // database/sql driver "sqlite", as sqlitestore uses

	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/storage/memstore"
)

const userID = "user_2x0benchmarkprincipal"

type ctxKey struct{}

// withUser is the shape every peer's middleware has: find the user, put
// them into the request's context, call next.
func withUser(r *http.Request, uid string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), ctxKey{}, uid))
}

func ctxUser(r *http.Request) string {
	uid, _ := r.Context().Value(ctxKey{}).(string)
	return uid
}

func noAuth(context.Context, *Env) (*Case, error) {
	return &Case{Handler: principal("", func(*http.Request) string { return "" }), Requests: []*http.Request{get()}}, nil
}

// clerkSDK is the Clerk Go SDK's WithHeaderAuthorization middleware on an
// RS256 session token, as Clerk issues them. Its JWKS client is pointed at
// a server on loopback; the SDK fetches the key once and keeps it for an
// hour, so the timed loop makes no request.
func clerkSDK(ctx context.Context, e *Env) (*Case, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	// A new key ID for each key: the SDK keeps the keys it fetched in a
	// process-wide cache by ID, and a second setup in the same process
	// must not find the first one's key there.
	kid := "ins_" + rand.Text()
	set := map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
		"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
	}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/jwks" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	}))
	e.Defer(srv.Close)
	client := jwks.NewClient(&clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
		HTTPClient: srv.Client(), URL: clerk.String(srv.URL), Key: clerk.String("sk_test_benchmark"),
	}})
	now := time.Now()
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": "https://clerk.example.com", "sub": userID, "sid": "sess_bench", "azp": baseURL,
		"iat": now.Unix(), "nbf": now.Add(-time.Second).Unix(), "exp": now.Add(time.Hour).Unix(), "v": 2,
	})
	t.Header["kid"] = kid
	tok, err := t.SignedString(key)
	if err != nil {
		return nil, err
	}
	mw := clerkhttp.WithHeaderAuthorization(clerkhttp.JWKSClient(client), clerkhttp.AuthorizedPartyMatches(baseURL))
	h := mw(principal(userID, func(r *http.Request) string {
		if c, ok := clerk.SessionClaimsFromContext(r.Context()); ok {
			return c.Subject
		}
		return ""
	}))
	r := get()
	r.Header.Set("Authorization", "Bearer "+tok)
	c := &Case{Handler: h, Requests: []*http.Request{r}}
	return c, c.Check() // fetches the key

}

// gorillaSessions is a gorilla/sessions CookieStore session (HMAC-SHA256
// and AES, as its documentation recommends) holding the user ID.
func gorillaSessions(ctx context.Context, e *Env) (*Case, error) {
	store := sessions.NewCookieStore([]byte(strings.Repeat("h", 32)), []byte(strings.Repeat("b", 32)))
	rec := httptest.NewRecorder()
	req := get()
	s, err := store.New(req, "app")
	if err != nil {
		return nil, err
	}
	s.Values["uid"] = userID
	if err := s.Save(req, rec); err != nil {
		return nil, err
	}
	mw := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if s, err := store.Get(r, "app"); err == nil {
				if uid, ok := s.Values["uid"].(string); ok {
					r = withUser(r, uid)
				}
			}
			next.ServeHTTP(w, r)
		})
	}
	return &Case{Handler: mw(principal(userID, ctxUser)), Requests: []*http.Request{get(rec.Result().Cookies()...)}}, nil
}

// golangJWT verifies an EdDSA JWT from a cookie on every request with
// golang-jwt (signature, expiry, issuer), with no cache: the plain way.
func golangJWT(ctx context.Context, e *Env) (*Case, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.RegisteredClaims{
		Issuer: baseURL, Subject: userID, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
	}).SignedString(priv)
	if err != nil {
		return nil, err
	}
	keyFunc := func(*jwt.Token) (any, error) { return pub, nil }
	mw := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c, err := r.Cookie("session"); err == nil {
				var claims jwt.RegisteredClaims
				if _, err := jwt.ParseWithClaims(c.Value, &claims, keyFunc, jwt.WithValidMethods([]string{"EdDSA"}),
					jwt.WithIssuer(baseURL), jwt.WithExpirationRequired()); err == nil {
					r = withUser(r, claims.Subject)
				}
			}
			next.ServeHTTP(w, r)
		})
	}
	return &Case{Handler: mw(principal(userID, ctxUser)), Requests: []*http.Request{get(&http.Cookie{Name: "session", Value: tok})}}, nil
}

// The opaque-session variants are the classic server-side session: a
// random ID in a cookie, stored as its SHA-256 hash with the user and
// expiry, looked up on every request; opaqueRows sessions share the table.
const opaqueRows = 1000

const opaqueSchema = `CREATE TABLE sessions (id_hash BYTEA PRIMARY KEY, user_id TEXT NOT NULL, expires_at BIGINT NOT NULL)`
const opaqueLookup = `SELECT user_id FROM sessions WHERE id_hash = $1 AND expires_at > $2`

func opaqueIDs() (ids []string, hashes [][]byte) {
	for range opaqueRows {
		id := rand.Text() + rand.Text()
		h := sha256.Sum256([]byte(id))
		ids, hashes = append(ids, id), append(hashes, h[:])
	}
	return ids, hashes
}

// opaqueMiddleware looks the cookie's session up with lookup.
func opaqueMiddleware(lookup func(ctx context.Context, hash []byte, now int64) (string, error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c, err := r.Cookie("sid"); err == nil {
				h := sha256.Sum256([]byte(c.Value))
				if uid, err := lookup(r.Context(), h[:], time.Now().Unix()); err == nil {
					r = withUser(r, uid)
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

func opaqueSQLite(ctx context.Context, e *Env) (*Case, error) {
	db, err := sql.Open("sqlite", "file:"+e.Path("opaque.db")+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, err
	}
	e.Defer(func() { db.Close() })
	if _, err := db.ExecContext(ctx, strings.Replace(opaqueSchema, "BYTEA", "BLOB", 1)+" WITHOUT ROWID"); err != nil {
		return nil, err
	}
	ids, hashes := opaqueIDs()
	exp := time.Now().Add(time.Hour).Unix()
	for i, h := range hashes {
		if _, err := db.ExecContext(ctx, `INSERT INTO sessions VALUES (?, ?, ?)`, h, fmt.Sprintf("user_%d", i), exp); err != nil {
			return nil, err
		}
	}
	stmt, err := db.PrepareContext(ctx, strings.NewReplacer("$1", "?", "$2", "?").Replace(opaqueLookup))
	if err != nil {
		return nil, err
	}
	e.Defer(func() { stmt.Close() })
	mw := opaqueMiddleware(func(ctx context.Context, hash []byte, now int64) (uid string, err error) {
		err = stmt.QueryRowContext(ctx, hash, now).Scan(&uid)
		return uid, err
	})
	const pick = opaqueRows / 2
	return &Case{Handler: mw(principal(fmt.Sprintf("user_%d", pick), ctxUser)),
		Requests: []*http.Request{get(&http.Cookie{Name: "sid", Value: ids[pick]})}}, nil
}

func opaquePostgres(ctx context.Context, e *Env) (*Case, error) {
	dsn, err := e.PostgresSchema(ctx)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, err
	}
	e.Defer(pool.Close)
	if _, err := pool.Exec(ctx, opaqueSchema); err != nil {
		return nil, err
	}
	ids, hashes := opaqueIDs()
	exp := time.Now().Add(time.Hour).Unix()
	for i, h := range hashes {
		if _, err := pool.Exec(ctx, `INSERT INTO sessions VALUES ($1, $2, $3)`, h, fmt.Sprintf("user_%d", i), exp); err != nil {
			return nil, err
		}
	}
	if _, err := pool.Exec(ctx, `ANALYZE sessions`); err != nil {
		return nil, err
	}
	mw := opaqueMiddleware(func(ctx context.Context, hash []byte, now int64) (uid string, err error) {
		err = pool.QueryRow(ctx, opaqueLookup, hash, now).Scan(&uid)
		return uid, err
	})
	const pick = opaqueRows / 2
	return &Case{Handler: mw(principal(fmt.Sprintf("user_%d", pick), ctxUser)),
		Requests: []*http.Request{get(&http.Cookie{Name: "sid", Value: ids[pick]})}}, nil
}

// bareEd25519 is the floor under any signed-token middleware: the no-auth
// round trip plus one ed25519.Verify of a message the size of a Latch
// session token's signing input, with no parsing and no claims.
func bareEd25519(ctx context.Context, e *Env) (*Case, error) {
	a := newLatch(memstore.New(), latchtest.NewClock(latchtest.Start))
	e.Defer(func() { a.Close() })
	_, s, _, err := signIn(ctx, a, "ada@example.com")
	if err != nil {
		return nil, err
	}
	msg := []byte(s.Token[:strings.LastIndexByte(s.Token, '.')])
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	sig := ed25519.Sign(priv, msg)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ed25519.Verify(pub, msg, sig) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return &Case{Handler: h, Requests: []*http.Request{get()}}, nil
}

// errAuthboss is why the authboss row is empty: its module cannot be
// fetched here.
var errAuthboss = errors.New("not run: the Go module proxy here refuses github.com/volatiletech/authboss/v3 and github.com/aarondl/authboss/v3 (403)")

func authboss(context.Context, *Env) (*Case, error) { return nil, errAuthboss }

// Unavailable reports whether err means the variant cannot run here
// (no PostgreSQL configured, or a peer that cannot be fetched), as
// opposed to a failure.
func Unavailable(err error) bool {
	return errors.Is(err, ErrNoPostgres) || errors.Is(err, errAuthboss)
}

// Variants are the round-trip variants, in the table's order.
func Variants() []Variant {
	return []Variant{
		{Name: "no-auth", Note: "the handler alone", Setup: noAuth},
		{Name: "latch/signed-out", Note: "no cookies", Setup: latchSignedOut},
		{Name: "latch/cached", Note: "a token seen before", Setup: latchCached},
		{Name: "latch/signed-out-browser", Note: "three cookies of other software, none of Latch's", Setup: latchSignedOutBrowser},
		{Name: "latch/cached-browser", Note: "a token seen before, both Latch cookies among three others, moving clock", Setup: latchCachedBrowser},
		{Name: "latch/verify", Note: "a token not seen before: EdDSA signature and claims", Setup: latchVerify},
		{Name: "latch/refresh-sqlite", Note: "expired token: one read, one write, a new token", Setup: latchRefresh("sqlite")},
		{Name: "latch/refresh-postgres", Note: "the same on PostgreSQL (loopback)", Setup: latchRefresh("postgres")},
		{Name: "clerk-sdk", Note: "clerk-sdk-go/v2 WithHeaderAuthorization, RS256, JWKS cached", Setup: clerkSDK},
		{Name: "authboss", Note: "authboss/v3", Setup: authboss},
		{Name: "gorilla-sessions", Note: "CookieStore, HMAC + AES", Setup: gorillaSessions},
		{Name: "golang-jwt", Note: "EdDSA JWT parsed and verified per request", Setup: golangJWT},
		{Name: "opaque-sqlite", Note: "random ID, SHA-256, indexed SELECT", Setup: opaqueSQLite},
		{Name: "opaque-postgres", Note: "the same on PostgreSQL (loopback)", Setup: opaquePostgres},
		{Name: "ed25519-verify", Note: "no-auth + one bare ed25519.Verify: the floor for verify", Setup: bareEd25519},
	}
}
