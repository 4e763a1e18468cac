package sqlitestore

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	"github.com/latchauth/latch/storage"
)

// newTestStore opens a migrated Store on a new database file, closed when
// the test ends.
func newTestStore(t testing.TB) *Store {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "latch.db"))
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
	path := filepath.Join(t.TempDir(), "latch.db")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			// A handle of its own, as another process would have.
			db, err := sql.Open("sqlite", dsn(path))
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			errs[i] = New(db).Migrate(ctx)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate %d: %v", i, err)
		}
	}
}

func TestOpenMemory(t *testing.T) {
	s, err := Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.ListRoles(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestPathWithQuestionMark(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a?b#c%d.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if matches, _ := filepath.Glob(path); len(matches) != 1 {
		t.Fatalf("database not created at %q", path)
	}
}

// SQLite's LOWER folds only ASCII; the search must fold as strings.ToLower
// does, as memstore and PostgreSQL do.
func TestQueryFoldsUnicode(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	if err := s.CreateUser(ctx, &storage.User{ID: "user_1", FirstName: "ÉMILE"}); err != nil {
		t.Fatal(err)
	}
	n, err := s.CountUsers(ctx, storage.UserFilter{Query: "émile"})
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("CountUsers(Query: émile) = %d, want 1", n)
	}
}

// TestUpgradeFromVersion3FindsExistingInvitations: migration 4 fills in
// the canonical address of invitations written before it, so that a
// person's earlier invitations are found by ListInvitationsForEmail, and
// existing organizations, domains and sessions read back with the new
// fields at their zero values.
func TestUpgradeFromVersion3FindsExistingInvitations(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", dsn(filepath.Join(t.TempDir(), "latch.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := New(db)
	if err := s.MigrateTo(ctx, 3); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`INSERT INTO latch_organizations (id, name, slug, slug_canonical, image_url, max_memberships, created_by, version) VALUES ('org_1', 'Acme', 'acme', 'acme', '', 0, '', 1)`,
		`INSERT INTO latch_domains (id, organization_id, name, name_canonical, enrollment_mode) VALUES ('dom_1', 'org_1', 'acme.example', 'acme.example', 'manual_invitation')`,
		`INSERT INTO latch_invitations (id, organization_id, email_address, role, status, inviter_id, verification_id) VALUES ('inv_1', 'org_1', ' Ada@Example.COM', 'org:member', 'pending', '', '')`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
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
