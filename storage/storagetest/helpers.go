package storagetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch/storage"
)

// env is what a test works with.
type env struct {
	t   testing.TB
	ctx context.Context
	s   storage.Store
}

// seq numbers every ID the suite makes, so IDs sort in creation order (as
// the kernel's do) and never repeat within a process.
var seq atomic.Uint64

// newID returns a time-sortable ID of a fixed format, e.g. "user_000000000000002a".
func newID(prefix string) string { return fmt.Sprintf("%s_%016x", prefix, seq.Add(1)) }

// Times are given in zones other than UTC, truncated to microseconds as
// the kernel does, so that a round trip must return them exactly, in UTC.
var (
	base  = time.Date(2025, 6, 1, 9, 30, 0, 123456000, time.UTC)
	zoneA = time.FixedZone("UTC+05:30", 5*3600+1800)
	zoneB = time.FixedZone("UTC-07", -7*3600)
)

// at returns base+d in a non-UTC zone.
func at(d time.Duration) time.Time { return base.Add(d).In(zoneA) }

// atB is at in another zone.
func atB(d time.Duration) time.Time { return base.Add(d).In(zoneB) }

func raw(s string) json.RawMessage { return json.RawMessage(s) }

var errBoom = errors.New("storagetest: fn failed on purpose")

// ok fails the test when err is not nil.
func (e *env) ok(err error, rule string) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("%s: unexpected error: %v", rule, err)
	}
}

// is fails the test unless errors.Is(err, want).
func (e *env) is(err, want error, rule string) {
	e.t.Helper()
	if !errors.Is(err, want) {
		e.t.Fatalf("%s: got error %v, want %v", rule, err, want)
	}
}

// must returns a function that returns v, failing the test when err is
// not nil: must(e.s.GetUser(ctx, id))(e).
func must[T any](v T, err error) func(e *env) T {
	return func(e *env) T {
		e.t.Helper()
		e.ok(err, fmt.Sprintf("reading %T", v))
		return v
	}
}

// create stores v with fn, failing the test on an error, and returns v.
func create[T any](e *env, fn func(context.Context, *T) error, v *T) *T {
	e.t.Helper()
	e.ok(fn(e.ctx, v), fmt.Sprintf("create %T", v))
	return v
}

// same fails the test when the record got differs from want under the
// contract's value rules: times equal and in UTC, JSON equivalent (nil
// stays nil), empty slices returned as nil, everything else equal.
func (e *env) same(rule string, got, want any) {
	e.t.Helper()
	if reflect.ValueOf(got).IsNil() {
		e.t.Fatalf("%s: got nil record", rule)
	}
	if d := diff(got, want); len(d) > 0 {
		e.t.Errorf("%s: returned %T differs from what was stored:\n\t%s", rule, want, joinLines(d))
	}
}

func joinLines(lines []string) string {
	var b bytes.Buffer
	for i, l := range lines {
		if i > 0 {
			b.WriteString("\n\t")
		}
		b.WriteString(l)
	}
	return b.String()
}

var jsonType = reflect.TypeFor[json.RawMessage]()

// diff compares two pointers to records field by field.
func diff(got, want any) []string {
	g, w := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	var out []string
	for i := range w.NumField() {
		name, gf, wf := w.Type().Field(i).Name, g.Field(i), w.Field(i)
		bad := func(format string, args ...any) { out = append(out, name+": "+fmt.Sprintf(format, args...)) }
		switch gv, wv := gf.Interface(), wf.Interface(); {
		case wf.Type() == jsonType:
			if msg := jsonDiff(gv.(json.RawMessage), wv.(json.RawMessage)); msg != "" {
				bad("%s", msg)
			}
		case wf.Type() == reflect.TypeFor[time.Time]():
			gt, wt := gv.(time.Time), wv.(time.Time)
			if !gt.Equal(wt) {
				bad("got %v, want %v", gt, wt)
			} else if gt.Location() != time.UTC {
				bad("returned in %v, want UTC", gt.Location())
			}
		case wf.Kind() == reflect.Slice:
			if wf.Len() == 0 && !gf.IsNil() {
				bad("empty %s must be returned as nil, got %#v", wf.Type(), gv)
			} else if wf.Len() > 0 && !reflect.DeepEqual(gv, wv) {
				bad("got %#v, want %#v", gv, wv)
			}
		default:
			if !reflect.DeepEqual(gv, wv) {
				bad("got %#v, want %#v", gv, wv)
			}
		}
	}
	return out
}

// jsonDiff compares JSON semantically (key order and spacing may change).
func jsonDiff(got, want json.RawMessage) string {
	switch {
	case want == nil && got == nil:
		return ""
	case want == nil:
		return fmt.Sprintf("nil JSON must stay nil, got %s", got)
	case got == nil:
		return fmt.Sprintf("got nil, want %s", want)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		return fmt.Sprintf("returned invalid JSON %q: %v", got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		return fmt.Sprintf("test stored invalid JSON %q", want)
	}
	if !reflect.DeepEqual(g, w) {
		return fmt.Sprintf("got %s, want equivalent of %s", got, want)
	}
	return ""
}

// full fails the test when a field of the record v is zero (other than the
// fields named in except), so that round trips cover every field.
func (e *env) full(v any, except ...string) {
	e.t.Helper()
	r := reflect.ValueOf(v).Elem()
	for i := range r.NumField() {
		if name := r.Type().Field(i).Name; r.Field(i).IsZero() && !slices.Contains(except, name) {
			e.t.Fatalf("suite bug: %T.%s is zero in a round-trip record", v, name)
		}
	}
}

// ids returns the IDs of records, in order.
func ids[T any](records []*T) []string {
	out := make([]string, len(records))
	for i, r := range records {
		out[i] = reflect.ValueOf(r).Elem().FieldByName("ID").String()
	}
	return out
}

// sameIDs fails the test unless got and want list the same IDs in order.
func (e *env) sameIDs(rule string, got, want []string) {
	e.t.Helper()
	if !slices.Equal(got, want) {
		e.t.Errorf("%s: got IDs %q, want %q", rule, got, want)
	}
}

// race runs fn(i) for i in [0, n) on n goroutines released at once by a
// start barrier, and returns their errors.
func race(n int, fn func(i int) error) []error {
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// exactlyOne fails the test unless exactly one of errs is nil and every
// other one is loser.
func (e *env) exactlyOne(rule string, errs []error, loser error) {
	e.t.Helper()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, loser):
			e.t.Errorf("%s: a loser got %v, want %v", rule, err, loser)
		}
	}
	if wins != 1 {
		e.t.Errorf("%s: %d of %d concurrent callers succeeded, want exactly 1", rule, wins, len(errs))
	}
}

// Builders of fully populated records (not stored). Fields that point at
// other records are left empty unless the builder takes them, so that
// adapters with foreign keys accept them; round trips fill them in.

func newUser() *storage.User {
	id := newID("user")
	return &storage.User{
		ID: id, ExternalID: "ext-" + id, Username: "u" + id[5:],
		FirstName: "Ada", LastName: "Lovelace", ImageURL: "https://img.example.com/" + id,
		PublicMetadata:  raw(`{"plan": "pro", "tags": ["a", "b"], "n": 1}`),
		PrivateMetadata: raw(`{"stripe": {"customer": "cus_1", "live": true}}`),
		UnsafeMetadata:  raw(`{"theme": "dark", "ratio": 1.5, "none": null}`),
		PasswordHash:    "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
		Banned:          true, LockedUntil: at(time.Hour), FailedAttempts: 2, MFARequired: true,
		LastSignInAt: atB(-time.Hour), LastActiveAt: at(-time.Minute),
		CreatedAt: atB(-48 * time.Hour), UpdatedAt: at(-24 * time.Hour),
	}
}

func newIdent(userID string, kind storage.IdentifierKind, value string, verified bool) *storage.Identifier {
	i := &storage.Identifier{
		ID: newID("idn"), UserID: userID, Kind: kind, Value: value,
		CreatedAt: at(-time.Hour), UpdatedAt: atB(-time.Minute),
	}
	if verified {
		i.VerifiedAt, i.VerifiedBy = at(-30*time.Minute), "email_code"
	}
	return i
}

func newEmail(userID, value string, verified bool) *storage.Identifier {
	return newIdent(userID, storage.KindEmailAddress, value, verified)
}

func newExternalAccount(userID string) *storage.ExternalAccount {
	id := newID("eac")
	return &storage.ExternalAccount{
		ID: id, UserID: userID, Provider: "oauth_google", Issuer: "https://accounts.google.com",
		Subject: "sub-" + id, EmailAddress: "ada@gmail.com", Username: "ada", FirstName: "Ada",
		LastName: "Lovelace", ImageURL: "https://lh3.example.com/ada", Scopes: []string{"openid", "email", "profile"},
		AccessToken: []byte("enc:access\x00\xff"), RefreshToken: []byte("enc:refresh\x01"),
		TokenExpiresAt: at(time.Hour), PublicMetadata: raw(`{"hd": "example.com"}`),
		CreatedAt: atB(-time.Hour), UpdatedAt: at(-time.Minute),
	}
}

func newCredential(userID string) *storage.Credential {
	id := newID("cred")
	return &storage.Credential{
		ID: id, UserID: userID, Kind: "passkey", Name: "MacBook", CredentialID: []byte("cid\x00" + id),
		PublicKey: []byte{0xa5, 0x01, 0x02, 0x03, 0x26}, AttestationType: "none",
		AAGUID: bytes.Repeat([]byte{0xad}, 16), SignCount: 7, Transports: []string{"internal", "hybrid"},
		UserVerified: true, BackupEligible: true, BackupState: true,
		LastUsedAt: at(-time.Minute), CreatedAt: atB(-time.Hour), UpdatedAt: at(-time.Minute),
	}
}

func newTOTP(userID string) *storage.TOTPSecret {
	return &storage.TOTPSecret{
		ID: newID("totp"), UserID: userID, Secret: []byte("encrypted-seed\x00"), KeyID: "kek_1",
		VerifiedAt: at(-time.Hour), LastUsedStep: 58_000_000, CreatedAt: atB(-2 * time.Hour), UpdatedAt: at(-time.Hour),
	}
}

func newBackupCode(userID, code string) *storage.BackupCode {
	return &storage.BackupCode{ID: newID("bkc"), UserID: userID, CodeHash: []byte("sha256:" + code), CreatedAt: at(-time.Hour)}
}

func newClient() *storage.Client {
	return &storage.Client{
		ID: newID("client"), SecretHash: []byte("hash\x00secret"), LastActiveAt: at(-time.Minute),
		ExpiresAt: atB(30 * 24 * time.Hour), CreatedAt: at(-time.Hour), UpdatedAt: atB(-time.Minute),
	}
}

func newSession(clientID, userID string) *storage.Session {
	return &storage.Session{
		ID: newID("sess"), ClientID: clientID, UserID: userID, Status: storage.SessionActive,
		IP: "203.0.113.9", UserAgent: "Mozilla/5.0", Browser: "Chrome 131", OS: "macOS",
		DeviceType: "desktop", Location: "Lisbon, PT", FirstFactorAt: at(-time.Hour),
		SecondFactorAt: atB(-59 * time.Minute), AMR: []string{"pwd", "otp"},
		LastActiveAt: at(-time.Minute), ExpiresAt: atB(7 * 24 * time.Hour),
		CreatedAt: at(-time.Hour), UpdatedAt: atB(-time.Minute),
	}
}

func newVerification(purpose string) *storage.Verification {
	return &storage.Verification{
		ID: newID("ver"), Purpose: purpose, SecretHash: []byte("sha256:code"), MaxAttempts: 5,
		Data: raw(`{"redirect": "/home"}`), ExpiresAt: at(10 * time.Minute), CreatedAt: atB(-time.Minute),
	}
}

func newFlow() *storage.Flow {
	return &storage.Flow{
		ID: newID("sia"), Kind: "sign_in", Status: "needs_first_factor",
		Data:      raw(`{"identifier": "ada@example.com", "factors": ["password"]}`),
		ExpiresAt: at(10 * time.Minute), CreatedAt: atB(-time.Minute), UpdatedAt: at(0),
	}
}

func newSigningKey(state string) *storage.SigningKey {
	return &storage.SigningKey{
		ID: newID("kid"), Algorithm: "EdDSA", State: state, PublicKey: []byte("der-public"),
		PrivateKey: []byte("enc-private\x00"), EncryptionKeyID: "kek_1",
		CreatedAt: at(-time.Hour), UpdatedAt: atB(-time.Minute),
	}
}

func newOrg() *storage.Organization {
	id := newID("org")
	return &storage.Organization{
		ID: id, Name: "Acme " + id, Slug: "acme-" + id[4:], ImageURL: "https://img.example.com/" + id,
		PublicMetadata: raw(`{"tier": "gold"}`), PrivateMetadata: raw(`{"crm": 42}`), MaxMemberships: 10,
		RoleSet: "default", RequireSecondFactor: true, RestrictToDomains: true,
		CreatedAt: at(-time.Hour), UpdatedAt: atB(-time.Minute),
	}
}

func newMembership(orgID, userID string) *storage.Membership {
	return &storage.Membership{
		ID: newID("mem"), OrganizationID: orgID, UserID: userID, Role: "org:member",
		PublicMetadata: raw(`{"team": "core"}`), PrivateMetadata: raw(`{"cost_center": 7}`),
		CreatedAt: at(-time.Hour), UpdatedAt: atB(-time.Minute),
	}
}

func newInvitation(orgID string) *storage.Invitation {
	return &storage.Invitation{
		ID: newID("inv"), OrganizationID: orgID, EmailAddress: "new@example.com", Role: "org:member",
		Status: storage.InvitationPending, PublicMetadata: raw(`{"note": "welcome"}`),
		ExpiresAt: at(7 * 24 * time.Hour), CreatedAt: atB(-time.Hour), UpdatedAt: at(-time.Minute),
	}
}

func newDomain(orgID, name string, verified bool) *storage.Domain {
	d := &storage.Domain{
		ID: newID("dom"), OrganizationID: orgID, Name: name, EnrollmentMode: "automatic_suggestion",
		IncludeSubdomains: true, AffiliationEmail: "admin@" + name,
		CreatedAt: at(-time.Hour), UpdatedAt: atB(-time.Minute),
	}
	if verified {
		d.VerifiedAt = at(-30 * time.Minute)
	}
	return d
}

func newRole(key string) *storage.Role {
	return &storage.Role{
		ID: newID("role"), Key: key, Name: "Admin", Description: "Can do everything",
		Permissions: []string{"org:invoices:read", "org:invoices:write"}, CreatedAt: at(-time.Hour), UpdatedAt: atB(0),
	}
}

func newRoleSet(key string) *storage.RoleSet {
	return &storage.RoleSet{
		ID: newID("rs"), Key: key, Name: "Default", Description: "The roles of every organization",
		Roles: []string{"org:admin", "org:member"}, DefaultRole: "org:member", CreatorRole: "org:admin",
		CreatedAt: at(-time.Hour), UpdatedAt: atB(0),
	}
}

func newPermission(key string) *storage.Permission {
	return &storage.Permission{
		ID: newID("perm"), Key: key, Name: "Read invoices", Description: "See every invoice",
		CreatedAt: at(-time.Hour), UpdatedAt: atB(0),
	}
}

func newMembershipRequest(orgID, userID string) *storage.MembershipRequest {
	return &storage.MembershipRequest{
		ID: newID("orgreq"), OrganizationID: orgID, UserID: userID, EmailAddress: "ada@example.com",
		Status: storage.MembershipRequestPending, CreatedAt: at(-time.Hour), UpdatedAt: atB(-time.Minute),
	}
}

func newTeam(orgID, name string) *storage.Team {
	return &storage.Team{
		ID: newID("team"), OrganizationID: orgID, Name: name, CreatedAt: at(-time.Hour), UpdatedAt: atB(-time.Minute),
	}
}

func newTeamMember(teamID, userID string) *storage.TeamMember {
	return &storage.TeamMember{TeamID: teamID, UserID: userID, CreatedAt: atB(-time.Minute)}
}

func newPlan(key string) *storage.Plan {
	return &storage.Plan{
		ID: newID("plan"), Key: key, Name: "Pro", PayerType: "user", Features: []string{"sso", "audit"},
		Amount: 1999, Currency: "EUR", Interval: "month", PublicMetadata: raw(`{"popular": true}`),
		CreatedAt: at(-time.Hour), UpdatedAt: atB(0),
	}
}

func newSubscription(payerID, planID string) *storage.Subscription {
	return &storage.Subscription{
		ID: newID("sub"), PayerID: payerID, PlanID: planID, Status: "active", ExternalID: "sub_stripe_1",
		CurrentPeriodEnd: at(30 * 24 * time.Hour), CanceledAt: atB(time.Hour), CreatedAt: at(-time.Hour), UpdatedAt: atB(0),
	}
}

func newEvent(typ string) *storage.Event {
	return &storage.Event{ID: newID("evt"), Type: typ, Data: raw(`{"id": "user_1"}`), CreatedAt: at(0)}
}

func newAudit(typ, userID string) *storage.AuditEvent {
	return &storage.AuditEvent{
		ID: newID("aud"), Type: typ, Outcome: "failure", UserID: userID, IP: "198.51.100.7",
		UserAgent: "curl/8", Data: raw(`{"reason": "password"}`), CreatedAt: atB(0),
	}
}

// Stored fixtures.

func (e *env) user() *storage.User { return create(e, e.s.CreateUser, newUser()) }

func (e *env) client() *storage.Client { return create(e, e.s.CreateClient, newClient()) }

func (e *env) org() *storage.Organization { return create(e, e.orgs().CreateOrganization, newOrg()) }

func (e *env) session(userID string) *storage.Session {
	return create(e, e.s.CreateSession, newSession(e.client().ID, userID))
}

// member stores a user and makes them a member of orgID with role.
func (e *env) member(orgID, role string) *storage.User {
	u := e.user()
	m := newMembership(orgID, u.ID)
	m.Role = role
	create(e, e.members().CreateMembership, m)
	return u
}
