package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/latchauth/latch/storage"
)

// migration is one numbered, non-destructive schema change. Its statements
// are written once for every dialect, with {{key}}, {{text}}, {{int}},
// {{bool}}, {{time}}, {{json}} and {{bytes}} standing for the dialect's
// [ColumnTypes]. Released migrations are never edited; a change is a new
// migration appended to the list.
type migration struct {
	version    int
	statements []string
	// backfill, when set, runs after the statements in the same
	// transaction, for values only Go can compute (canonical forms).
	backfill func(ctx context.Context, q *querier) error
}

// The schema: one table per record type, with real columns so an app owner
// can query it, and an index for every lookup the contract promises.
//
// Foreign keys exist exactly where the contract answers a missing parent
// with ErrNotFound. They are DEFERRABLE INITIALLY DEFERRED so that a cascade
// can delete the parent first: in PostgreSQL that locks the parent row, so
// a concurrent insert of a child waits and then fails instead of slipping in
// between the deletion of the children and of the parent. Writes do not rely
// on them (SQLite enforces them only when the connection enables
// foreign_keys): inserts check for the parent in the same statement.
var migrations = []migration{{
	version: 1,
	statements: []string{
		`CREATE TABLE latch_users (
			id {{key}} PRIMARY KEY,
			external_id {{key}} NOT NULL,
			username {{text}} NOT NULL,
			username_canonical {{key}},
			first_name {{text}} NOT NULL,
			last_name {{text}} NOT NULL,
			image_url {{text}} NOT NULL,
			public_metadata {{json}},
			private_metadata {{json}},
			unsafe_metadata {{json}},
			password_hash {{text}} NOT NULL,
			primary_email_id {{key}} NOT NULL,
			primary_phone_id {{key}} NOT NULL,
			banned {{bool}} NOT NULL,
			locked_until {{time}},
			failed_attempts {{int}} NOT NULL,
			mfa_required {{bool}} NOT NULL,
			last_sign_in_at {{time}},
			last_active_at {{time}},
			created_at {{time}},
			updated_at {{time}},
			version {{int}} NOT NULL
		)`,
		`CREATE UNIQUE INDEX latch_users_username ON latch_users (username_canonical) WHERE username_canonical IS NOT NULL`,
		`CREATE INDEX latch_users_external_id ON latch_users (external_id)`,

		`CREATE TABLE latch_identifiers (
			id {{key}} PRIMARY KEY,
			user_id {{key}} NOT NULL REFERENCES latch_users (id) DEFERRABLE INITIALLY DEFERRED,
			kind {{key}} NOT NULL,
			value {{text}} NOT NULL,
			canonical {{key}} NOT NULL,
			verified_at {{time}},
			verified_by {{text}} NOT NULL,
			created_at {{time}},
			updated_at {{time}}
		)`,
		// A verified address signs in exactly one account…
		`CREATE UNIQUE INDEX latch_identifiers_verified ON latch_identifiers (kind, canonical) WHERE verified_at IS NOT NULL`,
		// …unverified copies may coexist across users, but not within one.
		`CREATE UNIQUE INDEX latch_identifiers_user ON latch_identifiers (user_id, kind, canonical)`,
		// Filters on an address match verified and unverified ones.
		`CREATE INDEX latch_identifiers_canonical ON latch_identifiers (kind, canonical)`,

		`CREATE TABLE latch_external_accounts (
			id {{key}} PRIMARY KEY,
			user_id {{key}} NOT NULL REFERENCES latch_users (id) DEFERRABLE INITIALLY DEFERRED,
			provider {{key}} NOT NULL,
			issuer {{key}} NOT NULL,
			subject {{key}} NOT NULL,
			email_address {{text}} NOT NULL,
			username {{text}} NOT NULL,
			first_name {{text}} NOT NULL,
			last_name {{text}} NOT NULL,
			image_url {{text}} NOT NULL,
			scopes {{json}},
			access_token {{bytes}},
			refresh_token {{bytes}},
			token_expires_at {{time}},
			public_metadata {{json}},
			created_at {{time}},
			updated_at {{time}}
		)`,
		`CREATE UNIQUE INDEX latch_external_accounts_subject ON latch_external_accounts (issuer, subject)`,
		`CREATE INDEX latch_external_accounts_user ON latch_external_accounts (user_id)`,

		`CREATE TABLE latch_credentials (
			id {{key}} PRIMARY KEY,
			user_id {{key}} NOT NULL REFERENCES latch_users (id) DEFERRABLE INITIALLY DEFERRED,
			kind {{key}} NOT NULL,
			name {{text}} NOT NULL,
			credential_id {{bytes}},
			public_key {{bytes}},
			attestation_type {{text}} NOT NULL,
			aaguid {{bytes}},
			sign_count {{int}} NOT NULL,
			transports {{json}},
			user_verified {{bool}} NOT NULL,
			backup_eligible {{bool}} NOT NULL,
			backup_state {{bool}} NOT NULL,
			last_used_at {{time}},
			created_at {{time}},
			updated_at {{time}}
		)`,
		`CREATE UNIQUE INDEX latch_credentials_credential_id ON latch_credentials (credential_id)`,
		`CREATE INDEX latch_credentials_user ON latch_credentials (user_id)`,

		`CREATE TABLE latch_totp_secrets (
			id {{key}} PRIMARY KEY,
			user_id {{key}} NOT NULL UNIQUE REFERENCES latch_users (id) DEFERRABLE INITIALLY DEFERRED,
			secret {{bytes}},
			key_id {{key}} NOT NULL,
			verified_at {{time}},
			last_used_step {{int}} NOT NULL,
			created_at {{time}},
			updated_at {{time}}
		)`,

		`CREATE TABLE latch_backup_codes (
			id {{key}} PRIMARY KEY,
			user_id {{key}} NOT NULL REFERENCES latch_users (id) DEFERRABLE INITIALLY DEFERRED,
			code_hash {{bytes}},
			used_at {{time}},
			created_at {{time}}
		)`,
		`CREATE UNIQUE INDEX latch_backup_codes_user ON latch_backup_codes (user_id, code_hash)`,

		`CREATE TABLE latch_clients (
			id {{key}} PRIMARY KEY,
			secret_hash {{bytes}},
			active_session_id {{key}} NOT NULL,
			last_active_at {{time}},
			expires_at {{time}},
			created_at {{time}},
			updated_at {{time}},
			version {{int}} NOT NULL
		)`,

		`CREATE TABLE latch_sessions (
			id {{key}} PRIMARY KEY,
			client_id {{key}} NOT NULL REFERENCES latch_clients (id) DEFERRABLE INITIALLY DEFERRED,
			user_id {{key}} NOT NULL REFERENCES latch_users (id) DEFERRABLE INITIALLY DEFERRED,
			status {{key}} NOT NULL,
			actor_id {{key}} NOT NULL,
			active_organization_id {{key}} NOT NULL,
			ip {{text}} NOT NULL,
			user_agent {{text}} NOT NULL,
			browser {{text}} NOT NULL,
			os {{text}} NOT NULL,
			device_type {{text}} NOT NULL,
			location {{text}} NOT NULL,
			first_factor_at {{time}},
			second_factor_at {{time}},
			amr {{json}},
			last_active_at {{time}},
			expires_at {{time}},
			ended_at {{time}},
			created_at {{time}},
			updated_at {{time}},
			version {{int}} NOT NULL
		)`,
		`CREATE INDEX latch_sessions_user ON latch_sessions (user_id, id)`,
		`CREATE INDEX latch_sessions_client ON latch_sessions (client_id, id)`,

		`CREATE TABLE latch_verifications (
			id {{key}} PRIMARY KEY,
			purpose {{key}} NOT NULL,
			flow_id {{key}} NOT NULL,
			user_id {{key}} NOT NULL,
			identifier_id {{key}} NOT NULL,
			secret_hash {{bytes}},
			attempts {{int}} NOT NULL,
			max_attempts {{int}} NOT NULL,
			data {{json}},
			expires_at {{time}},
			consumed_at {{time}},
			created_at {{time}}
		)`,
		`CREATE INDEX latch_verifications_user ON latch_verifications (user_id, purpose)`,
		`CREATE INDEX latch_verifications_flow ON latch_verifications (flow_id)`,
		`CREATE INDEX latch_verifications_expires ON latch_verifications (expires_at)`,

		`CREATE TABLE latch_flows (
			id {{key}} PRIMARY KEY,
			kind {{key}} NOT NULL,
			client_id {{key}} NOT NULL,
			user_id {{key}} NOT NULL,
			status {{key}} NOT NULL,
			data {{json}},
			expires_at {{time}},
			created_at {{time}},
			updated_at {{time}},
			version {{int}} NOT NULL
		)`,
		`CREATE INDEX latch_flows_expires ON latch_flows (expires_at)`,

		`CREATE TABLE latch_signing_keys (
			id {{key}} PRIMARY KEY,
			algorithm {{key}} NOT NULL,
			state {{key}} NOT NULL,
			public_key {{bytes}},
			private_key {{bytes}},
			encryption_key_id {{key}} NOT NULL,
			created_at {{time}},
			updated_at {{time}},
			version {{int}} NOT NULL
		)`,

		`CREATE TABLE latch_organizations (
			id {{key}} PRIMARY KEY,
			name {{text}} NOT NULL,
			slug {{text}} NOT NULL,
			slug_canonical {{key}},
			image_url {{text}} NOT NULL,
			public_metadata {{json}},
			private_metadata {{json}},
			max_memberships {{int}} NOT NULL,
			created_by {{key}} NOT NULL,
			created_at {{time}},
			updated_at {{time}},
			version {{int}} NOT NULL
		)`,
		`CREATE UNIQUE INDEX latch_organizations_slug ON latch_organizations (slug_canonical) WHERE slug_canonical IS NOT NULL`,

		`CREATE TABLE latch_memberships (
			id {{key}} PRIMARY KEY,
			organization_id {{key}} NOT NULL REFERENCES latch_organizations (id) DEFERRABLE INITIALLY DEFERRED,
			user_id {{key}} NOT NULL REFERENCES latch_users (id) DEFERRABLE INITIALLY DEFERRED,
			role {{key}} NOT NULL,
			public_metadata {{json}},
			private_metadata {{json}},
			created_at {{time}},
			updated_at {{time}}
		)`,
		`CREATE UNIQUE INDEX latch_memberships_member ON latch_memberships (organization_id, user_id)`,
		`CREATE INDEX latch_memberships_organization ON latch_memberships (organization_id, id)`,
		`CREATE INDEX latch_memberships_user ON latch_memberships (user_id, id)`,

		// organization_id is "" for application invitations, so it cannot
		// be a foreign key; CreateInvitation checks it instead.
		`CREATE TABLE latch_invitations (
			id {{key}} PRIMARY KEY,
			organization_id {{key}} NOT NULL,
			email_address {{text}} NOT NULL,
			role {{key}} NOT NULL,
			status {{key}} NOT NULL,
			inviter_id {{key}} NOT NULL,
			verification_id {{key}} NOT NULL,
			public_metadata {{json}},
			expires_at {{time}},
			created_at {{time}},
			updated_at {{time}}
		)`,
		`CREATE INDEX latch_invitations_organization ON latch_invitations (organization_id, id)`,

		`CREATE TABLE latch_domains (
			id {{key}} PRIMARY KEY,
			organization_id {{key}} NOT NULL REFERENCES latch_organizations (id) DEFERRABLE INITIALLY DEFERRED,
			name {{text}} NOT NULL,
			name_canonical {{key}} NOT NULL,
			enrollment_mode {{key}} NOT NULL,
			verified_at {{time}},
			created_at {{time}},
			updated_at {{time}}
		)`,
		`CREATE UNIQUE INDEX latch_domains_verified ON latch_domains (name_canonical) WHERE verified_at IS NOT NULL`,
		`CREATE INDEX latch_domains_organization ON latch_domains (organization_id)`,

		`CREATE TABLE latch_roles (
			id {{key}} PRIMARY KEY,
			key {{key}} NOT NULL UNIQUE,
			name {{text}} NOT NULL,
			description {{text}} NOT NULL,
			permissions {{json}},
			created_at {{time}},
			updated_at {{time}}
		)`,

		`CREATE TABLE latch_plans (
			id {{key}} PRIMARY KEY,
			key {{key}} NOT NULL UNIQUE,
			name {{text}} NOT NULL,
			payer_type {{key}} NOT NULL,
			features {{json}},
			amount {{int}} NOT NULL,
			currency {{key}} NOT NULL,
			billing_interval {{key}} NOT NULL,
			public_metadata {{json}},
			created_at {{time}},
			updated_at {{time}}
		)`,

		`CREATE TABLE latch_subscriptions (
			id {{key}} PRIMARY KEY,
			payer_id {{key}} NOT NULL,
			plan_id {{key}} NOT NULL,
			status {{key}} NOT NULL,
			external_id {{key}} NOT NULL,
			current_period_end {{time}},
			canceled_at {{time}},
			created_at {{time}},
			updated_at {{time}}
		)`,
		`CREATE INDEX latch_subscriptions_payer ON latch_subscriptions (payer_id)`,

		`CREATE TABLE latch_events (
			id {{key}} PRIMARY KEY,
			type {{key}} NOT NULL,
			data {{json}},
			created_at {{time}},
			dispatched_at {{time}}
		)`,
		// The dispatcher's queue: only the undispatched tail is indexed.
		`CREATE INDEX latch_events_undispatched ON latch_events (id) WHERE dispatched_at IS NULL`,

		`CREATE TABLE latch_audit_events (
			id {{key}} PRIMARY KEY,
			type {{key}} NOT NULL,
			outcome {{key}} NOT NULL,
			actor_id {{key}} NOT NULL,
			user_id {{key}} NOT NULL,
			organization_id {{key}} NOT NULL,
			session_id {{key}} NOT NULL,
			ip {{text}} NOT NULL,
			user_agent {{text}} NOT NULL,
			data {{json}},
			created_at {{time}}
		)`,
		`CREATE INDEX latch_audit_events_user ON latch_audit_events (user_id, id)`,
		`CREATE INDEX latch_audit_events_organization ON latch_audit_events (organization_id, id)`,
		`CREATE INDEX latch_audit_events_type ON latch_audit_events (type, id)`,
	},
}, {
	version: 2,
	statements: []string{
		// The opt-in to second-factor codes sent to this address or
		// number (the mfa plugin). Existing rows are opted out.
		`ALTER TABLE latch_identifiers ADD COLUMN second_factor {{bool}} NOT NULL DEFAULT FALSE`,
	},
}, {
	version: 3,
	statements: []string{
		// Each event's position in the outbox, in commit order, which
		// durable consumers read in. Events already written are numbered
		// in ID order.
		`ALTER TABLE latch_events ADD COLUMN seq {{int}}`,
		`UPDATE latch_events SET seq = r.n FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM latch_events) AS r WHERE latch_events.id = r.id`,
		`CREATE UNIQUE INDEX latch_events_seq ON latch_events (seq)`,
		// The newest position given out, in one row: an append updates it,
		// so appending transactions take turns and commit in the order of
		// their positions.
		`CREATE TABLE latch_event_sequence (
			id {{int}} PRIMARY KEY,
			seq {{int}} NOT NULL
		)`,
		`INSERT INTO latch_event_sequence (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM latch_events`,
		// Durable consumers: each one's cursor, and the lease of the
		// instance delivering its events.
		`CREATE TABLE latch_event_consumers (
			name {{key}} PRIMARY KEY,
			cursor_seq {{int}} NOT NULL,
			lease_owner {{key}} NOT NULL,
			lease_until {{time}},
			created_at {{time}},
			updated_at {{time}}
		)`,
	},
}, {
	version: 4,
	// Organizations: policies, role sets, teams, membership requests, and
	// finding a person's invitations. Added columns have constant defaults
	// (SQLite adds no other kind) and no constraints.
	statements: []string{
		`ALTER TABLE latch_sessions ADD COLUMN active_team_id {{key}} NOT NULL DEFAULT ''`,
		`ALTER TABLE latch_organizations ADD COLUMN role_set {{key}} NOT NULL DEFAULT ''`,
		`ALTER TABLE latch_organizations ADD COLUMN require_second_factor {{bool}} NOT NULL DEFAULT FALSE`,
		`ALTER TABLE latch_organizations ADD COLUMN restrict_to_domains {{bool}} NOT NULL DEFAULT FALSE`,
		`ALTER TABLE latch_domains ADD COLUMN include_subdomains {{bool}} NOT NULL DEFAULT FALSE`,
		`ALTER TABLE latch_domains ADD COLUMN affiliation_email {{text}} NOT NULL DEFAULT ''`,
		// The canonical address, filled in for existing rows by the
		// backfill below.
		`ALTER TABLE latch_invitations ADD COLUMN email_canonical {{key}} NOT NULL DEFAULT ''`,
		`CREATE INDEX latch_invitations_email ON latch_invitations (email_canonical, id)`,

		`CREATE TABLE latch_role_sets (
			id {{key}} PRIMARY KEY,
			key {{key}} NOT NULL UNIQUE,
			name {{text}} NOT NULL,
			description {{text}} NOT NULL,
			roles {{json}},
			default_role {{key}} NOT NULL,
			creator_role {{key}} NOT NULL,
			created_at {{time}},
			updated_at {{time}}
		)`,

		`CREATE TABLE latch_permissions (
			id {{key}} PRIMARY KEY,
			key {{key}} NOT NULL UNIQUE,
			name {{text}} NOT NULL,
			description {{text}} NOT NULL,
			created_at {{time}},
			updated_at {{time}}
		)`,

		`CREATE TABLE latch_membership_requests (
			id {{key}} PRIMARY KEY,
			organization_id {{key}} NOT NULL REFERENCES latch_organizations (id) DEFERRABLE INITIALLY DEFERRED,
			user_id {{key}} NOT NULL REFERENCES latch_users (id) DEFERRABLE INITIALLY DEFERRED,
			email_address {{text}} NOT NULL,
			status {{key}} NOT NULL,
			created_at {{time}},
			updated_at {{time}}
		)`,
		// One pending request per user and organization.
		`CREATE UNIQUE INDEX latch_membership_requests_pending ON latch_membership_requests (organization_id, user_id) WHERE status = 'pending'`,
		`CREATE INDEX latch_membership_requests_organization ON latch_membership_requests (organization_id, id)`,
		`CREATE INDEX latch_membership_requests_user ON latch_membership_requests (user_id, id)`,

		`CREATE TABLE latch_teams (
			id {{key}} PRIMARY KEY,
			organization_id {{key}} NOT NULL REFERENCES latch_organizations (id) DEFERRABLE INITIALLY DEFERRED,
			name {{text}} NOT NULL,
			name_canonical {{key}} NOT NULL,
			created_at {{time}},
			updated_at {{time}}
		)`,
		`CREATE UNIQUE INDEX latch_teams_name ON latch_teams (organization_id, name_canonical)`,

		// A team member's parent is the membership as well as the team:
		// organization_id is the team's, so that removing a membership
		// can remove the user's places in that organization's teams, and
		// a place added while the membership is being removed fails.
		`CREATE TABLE latch_team_members (
			team_id {{key}} NOT NULL REFERENCES latch_teams (id) DEFERRABLE INITIALLY DEFERRED,
			organization_id {{key}} NOT NULL,
			user_id {{key}} NOT NULL,
			created_at {{time}},
			PRIMARY KEY (team_id, user_id),
			FOREIGN KEY (organization_id, user_id) REFERENCES latch_memberships (organization_id, user_id) DEFERRABLE INITIALLY DEFERRED
		)`,
		`CREATE INDEX latch_team_members_member ON latch_team_members (organization_id, user_id)`,
		`CREATE INDEX latch_team_members_user ON latch_team_members (user_id)`,
	},
	backfill: func(ctx context.Context, q *querier) error {
		rows, err := q.query(ctx, `SELECT id, email_address FROM latch_invitations`)
		if err != nil {
			return err
		}
		var ids, emails []string
		for rows.Next() {
			var id, email string
			if err := rows.Scan(&id, &email); err != nil {
				rows.Close()
				return err
			}
			ids, emails = append(ids, id), append(emails, email)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		for i, id := range ids {
			if _, err := q.exec(ctx, `UPDATE latch_invitations SET email_canonical = ? WHERE id = ?`, storage.CanonicalName(emails[i]), id); err != nil {
				return err
			}
		}
		return nil
	},
}}

// render substitutes the dialect's column types into a statement.
func (d *Dialect) render(stmt string) string {
	t := d.Types
	return strings.NewReplacer(
		"{{key}}", t.Key, "{{text}}", t.Text, "{{int}}", t.Int, "{{bool}}", t.Bool,
		"{{time}}", t.Time, "{{json}}", t.JSON, "{{bytes}}", t.Bytes,
	).Replace(stmt)
}

// Migrate brings the schema up to date: it applies, in order, every
// migration not yet recorded in latch_schema_migrations, each in its own
// transaction together with its record. It is idempotent, and safe when
// several processes call it at once: the dialect's MigrationLock (or, in
// SQLite, the write lock) serialises them, and each re-checks under the lock
// whether its migration is still missing.
func (s *Store) Migrate(ctx context.Context) error { return s.MigrateTo(ctx, 0) }

// MigrateTo is Migrate stopping after the given version (0 for the
// latest), so that tests can build a database as an older release left
// it and check the upgrade from there.
func (s *Store) MigrateTo(ctx context.Context, version int) error {
	for _, m := range migrations {
		if version > 0 && m.version > version {
			break
		}
		err := s.inTx(ctx, func(q *querier) error {
			if lock := q.d.MigrationLock; lock != "" {
				if _, err := q.ex.ExecContext(ctx, lock); err != nil {
					return err
				}
			}
			if _, err := q.ex.ExecContext(ctx, q.d.render(
				`CREATE TABLE IF NOT EXISTS latch_schema_migrations (version {{int}} PRIMARY KEY, applied_at {{time}} NOT NULL)`,
			)); err != nil {
				return err
			}
			done, err := q.exists(ctx, `SELECT 1 FROM latch_schema_migrations WHERE version = ?`, m.version)
			if err != nil || done {
				return err
			}
			for _, stmt := range m.statements {
				if _, err := q.ex.ExecContext(ctx, q.d.render(stmt)); err != nil {
					return fmt.Errorf("sqlstore: %s migration %d: %w", q.d.Name, m.version, err)
				}
			}
			if m.backfill != nil {
				if err := m.backfill(ctx, q); err != nil {
					return fmt.Errorf("sqlstore: %s migration %d: %w", q.d.Name, m.version, err)
				}
			}
			_, err = q.exec(ctx, `INSERT INTO latch_schema_migrations (version, applied_at) VALUES (?, ?)`,
				m.version, q.tm(time.Now()))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
