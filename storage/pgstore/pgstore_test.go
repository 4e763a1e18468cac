package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/latchauth/latch/storage"
)

// testDSN returns the DSN of the test server, or skips.
func testDSN(t testing.TB) string {
	dsn := os.Getenv("LATCH_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("pgstore: LATCH_TEST_POSTGRES is not set; set it to a PostgreSQL DSN to run these tests")
	}
	return dsn
}

// freshSchema creates a uniquely named, empty schema, drops it when the test
// ends, and returns a DSN whose search_path points at it.
func freshSchema(t testing.TB) string {
	dsn := testDSN(t)
	ctx := context.Background()
	admin, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "latch_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withParam(t, dsn, "search_path", schema)
}

// withParam sets a runtime parameter in a URL or key=value DSN.
func withParam(t testing.TB, dsn, key, value string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " " + key + "=" + value
}

// newTestStore opens a migrated Store in a fresh schema, closed when the
// test ends (before the schema is dropped).
func newTestStore(t testing.TB) *Store {
	dsn := freshSchema(t)
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	// Each migration recorded once, none missing, however often Migrate
	// runs.
	var n, last int
	if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*), MAX(version) FROM latch_schema_migrations").Scan(&n, &last); err != nil {
		t.Fatal(err)
	}
	if n != last || last < 2 {
		t.Fatalf("latch_schema_migrations has %d rows up to version %d, want one per version from 1", n, last)
	}
}

func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	dsn := freshSchema(t)
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s := New(pool) // one Store per "process", sharing nothing but the database
			defer s.Close()
			errs[i] = s.Migrate(ctx)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate %d: %v", i, err)
		}
	}
}

// A unique violation aborts a PostgreSQL transaction; the Store must undo
// only the failed statement, so that fn can go on after ErrConflict as it
// can with the other adapters.
func TestInTxContinuesAfterConflict(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	err := s.InTx(ctx, func(q storage.Querier) error {
		if err := q.CreateUser(ctx, &storage.User{ID: "user_1", Username: "a"}); err != nil {
			return err
		}
		if err := q.CreateUser(ctx, &storage.User{ID: "user_2", Username: "A"}); !errors.Is(err, storage.ErrConflict) {
			t.Errorf("duplicate username: got %v, want ErrConflict", err)
		}
		return q.CreateUser(ctx, &storage.User{ID: "user_3", Username: "b"})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"user_1", "user_3"} {
		if _, err := s.GetUser(ctx, id); err != nil {
			t.Errorf("GetUser(%s): %v", id, err)
		}
	}
}

// TestUpgradeFromVersion3FindsExistingInvitations: migration 4 fills in
// the canonical address of invitations written before it, so that a
// person's earlier invitations are found by ListInvitationsForEmail, and
// existing organizations and domains read back with the new fields at
// their zero values.
func TestUpgradeFromVersion3FindsExistingInvitations(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, freshSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := New(pool)
	defer s.Close()
	if err := s.MigrateTo(ctx, 3); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`INSERT INTO latch_organizations (id, name, slug, slug_canonical, image_url, max_memberships, created_by, version) VALUES ('org_1', 'Acme', 'acme', 'acme', '', 0, '', 1)`,
		`INSERT INTO latch_domains (id, organization_id, name, name_canonical, enrollment_mode) VALUES ('dom_1', 'org_1', 'acme.example', 'acme.example', 'manual_invitation')`,
		`INSERT INTO latch_invitations (id, organization_id, email_address, role, status, inviter_id, verification_id) VALUES ('inv_1', 'org_1', ' Ada@Example.COM', 'org:member', 'pending', '', '')`,
	} {
		if _, err := pool.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.ListInvitationsForEmail(ctx, "ada@example.com", storage.InvitationPending, storage.Page{})
	if err != nil || len(got) != 1 || got[0].ID != "inv_1" {
		t.Fatalf("ListInvitationsForEmail after the upgrade = %v, %v; want inv_1", got, err)
	}
	o, err := s.GetOrganization(ctx, "org_1")
	if err != nil || o.RoleSet != "" || o.RequireSecondFactor || o.RestrictToDomains {
		t.Fatalf("GetOrganization after the upgrade = %+v, %v; want the new fields zero", o, err)
	}
	d, err := s.GetDomain(ctx, "dom_1")
	if err != nil || d.IncludeSubdomains || d.AffiliationEmail != "" {
		t.Fatalf("GetDomain after the upgrade = %+v, %v; want the new fields zero", d, err)
	}
}

// roundTrips counts what a pool sends to the server: each query or
// batch is one round trip (a batch's statements travel together).
type roundTrips struct {
	mu sync.Mutex
	n  int
}

func (r *roundTrips) add() { r.mu.Lock(); r.n++; r.mu.Unlock() }

func (r *roundTrips) count() int { r.mu.Lock(); defer r.mu.Unlock(); return r.n }

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	r.add()
	return ctx
}
func (*roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.add()
	return ctx
}
func (*roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (*roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// A write inside a transaction travels with the savepoint that protects
// the rest of the transaction from its failure, in one round trip: a
// transaction of n writes costs n+2 (BEGIN and COMMIT), not 3n+2.
func TestInTxWriteTakesOneRoundTrip(t *testing.T) {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(freshSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	rt := &roundTrips{}
	cfg.ConnConfig.Tracer = rt
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s := New(pool)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// A first transaction prepares the statements on the connection.
	write := func(prefix string) error {
		return s.InTx(ctx, func(q storage.Querier) error {
			for i := range 5 {
				if err := q.CreateUser(ctx, &storage.User{ID: prefix + string(rune('a'+i))}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := write("user_warm_"); err != nil {
		t.Fatal(err)
	}
	before := rt.count()
	if err := write("user_"); err != nil {
		t.Fatal(err)
	}
	if got := rt.count() - before; got != 5+2 {
		t.Errorf("a transaction of 5 writes took %d round trips, want 7", got)
	}
}
