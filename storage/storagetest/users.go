package storagetest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/latchauth/latch/storage"
)

// variants are pairs of spellings, formats taking a suffix, that the
// contract makes the same identifier, username, slug or domain.
var variants = []struct{ name, first, second string }{
	{"case", "Alice%s", "alice%s"},
	{"fullwidth NFKC", "alice%s", "ａｌｉｃｅ%s"},
	{"Kelvin sign", "kate%s", "\u212Aate%s"},
	{"sharp s full folding", "straße%s", "STRASSE%s"},
	{"surrounding spaces", "alice%s", " alice%s \t"},
}

// userIDs returns the IDs of every user matching f, in ID order.
func (e *env) userIDs(f storage.UserFilter) []string {
	e.t.Helper()
	users, _, err := e.s.ListUsers(e.ctx, f, storage.Page{Limit: storage.MaxLimit})
	e.ok(err, "ListUsers")
	return ids(users)
}

func userTests() []test {
	return group("Users",
		test{"CreateUser with a taken ID is ErrConflict", func(e *env) {
			u := e.user()
			dup := newUser()
			dup.ID = u.ID
			e.is(e.s.CreateUser(e.ctx, dup), storage.ErrConflict, "CreateUser with an ID in use")
		}},
		test{"missing user is ErrNotFound", func(e *env) {
			u := newUser()
			_, err := e.s.GetUser(e.ctx, u.ID)
			e.is(err, storage.ErrNotFound, "GetUser")
			_, err = e.s.GetUserByUsername(e.ctx, u.Username)
			e.is(err, storage.ErrNotFound, "GetUserByUsername")
			_, err = e.s.GetUserByIdentifier(e.ctx, storage.KindEmailAddress, "nobody@example.com")
			e.is(err, storage.ErrNotFound, "GetUserByIdentifier")
			e.is(e.s.UpdateUser(e.ctx, u), storage.ErrNotFound, "UpdateUser")
			_, err = e.s.RecordFailedSignIn(e.ctx, u.ID, at(0))
			e.is(err, storage.ErrNotFound, "RecordFailedSignIn")
			e.is(e.s.DeleteUser(e.ctx, u.ID), storage.ErrNotFound, "DeleteUser")
		}},
		test{"username is unique under CanonicalName", func(e *env) {
			for _, v := range variants {
				a := newUser()
				a.Username = fmt.Sprintf(v.first, a.ID)
				create(e, e.s.CreateUser, a)
				b := newUser()
				b.Username = fmt.Sprintf(v.second, a.ID)
				e.is(e.s.CreateUser(e.ctx, b), storage.ErrConflict, "CreateUser with username "+v.name+" variant of a taken one")
				got, err := e.s.GetUserByUsername(e.ctx, b.Username)
				e.ok(err, "GetUserByUsername with a "+v.name+" variant")
				if got.ID != a.ID {
					e.t.Errorf("GetUserByUsername(%q) = %s, want %s", b.Username, got.ID, a.ID)
				}
				b.Username = ""
				create(e, e.s.CreateUser, b)
				b.Username = fmt.Sprintf(v.second, a.ID)
				e.is(e.s.UpdateUser(e.ctx, b), storage.ErrConflict, "UpdateUser to a "+v.name+" variant of a taken username")
			}
		}},
		test{"empty usernames do not conflict and a user may respell its own", func(e *env) {
			for range 2 {
				u := newUser()
				u.Username = ""
				create(e, e.s.CreateUser, u)
			}
			u := e.user()
			u.Username = "U" + u.Username[1:] + " "
			e.ok(e.s.UpdateUser(e.ctx, u), "UpdateUser respelling the user's own username")
		}},
		test{"UpdateUser replaces every field and checks the version", func(e *env) {
			u := e.user()
			stale := *u
			v := newUser()
			v.ID, v.Version = u.ID, u.Version
			v.PublicMetadata, v.Banned, v.FailedAttempts = raw(`{"x": [1, 2]}`), false, 0
			e.ok(e.s.UpdateUser(e.ctx, v), "UpdateUser with the current version")
			if v.Version != 2 {
				e.t.Errorf("UpdateUser must increment u.Version: got %d, want 2", v.Version)
			}
			e.same("UpdateUser replaces every field", must(e.s.GetUser(e.ctx, u.ID))(e), v)
			e.is(e.s.UpdateUser(e.ctx, &stale), storage.ErrStale, "UpdateUser with an old version")
			e.same("a stale UpdateUser changes nothing", must(e.s.GetUser(e.ctx, u.ID))(e), v)
		}},
		test{"RecordFailedSignIn counts and keeps the later lock", func(e *env) {
			u := newUser()
			u.FailedAttempts, u.LockedUntil = 0, time.Time{}
			create(e, e.s.CreateUser, u)
			steps := []struct {
				lock, want time.Time
			}{
				{time.Time{}, time.Time{}},
				{at(10 * time.Minute), at(10 * time.Minute)},
				{at(5 * time.Minute), at(10 * time.Minute)},
				{time.Time{}, at(10 * time.Minute)},
				{atB(20 * time.Minute), at(20 * time.Minute)},
			}
			for i, s := range steps {
				n, err := e.s.RecordFailedSignIn(e.ctx, u.ID, s.lock)
				e.ok(err, "RecordFailedSignIn")
				got := must(e.s.GetUser(e.ctx, u.ID))(e)
				switch {
				case n != i+1 || got.FailedAttempts != i+1:
					e.t.Errorf("RecordFailedSignIn #%d: returned %d, stored %d, want %d", i+1, n, got.FailedAttempts, i+1)
				case !got.LockedUntil.Equal(s.want):
					e.t.Errorf("RecordFailedSignIn #%d with lock %v: LockedUntil %v, want the later %v", i+1, s.lock, got.LockedUntil, s.want)
				case got.Version != int64(i+2):
					e.t.Errorf("RecordFailedSignIn must increment the Version: got %d, want %d", got.Version, i+2)
				}
			}
		}},
		test{"DeleteUser cascades to everything the user owns", func(e *env) {
			keep, u := e.user(), e.user()
			org, c := e.org(), e.client()
			owned := func(u *storage.User, email string) (idn *storage.Identifier, ext *storage.ExternalAccount, cred *storage.Credential, sess *storage.Session) {
				idn = create(e, e.s.CreateIdentifier, newEmail(u.ID, email, true))
				ext = create(e, e.s.CreateExternalAccount, newExternalAccount(u.ID))
				cred = create(e, e.s.CreateCredential, newCredential(u.ID))
				create(e, e.s.PutTOTPSecret, newTOTP(u.ID))
				e.ok(e.s.ReplaceBackupCodes(e.ctx, u.ID, []*storage.BackupCode{newBackupCode(u.ID, "a"), newBackupCode(u.ID, "b")}), "ReplaceBackupCodes")
				sess = create(e, e.s.CreateSession, newSession(c.ID, u.ID))
				create(e, e.members().CreateMembership, newMembership(org.ID, u.ID))
				return
			}
			owned(keep, "keep@example.com")
			idn, ext, cred, sess := owned(u, "gone@example.com")
			e.ok(e.s.DeleteUser(e.ctx, u.ID), "DeleteUser")

			_, err := e.s.GetUser(e.ctx, u.ID)
			e.is(err, storage.ErrNotFound, "GetUser after DeleteUser")
			_, err = e.s.GetIdentifier(e.ctx, idn.ID)
			e.is(err, storage.ErrNotFound, "DeleteUser must delete identifiers")
			_, err = e.s.FindIdentifier(e.ctx, storage.KindEmailAddress, "gone@example.com")
			e.is(err, storage.ErrNotFound, "DeleteUser must free verified identifiers")
			_, err = e.s.FindExternalAccount(e.ctx, ext.Issuer, ext.Subject)
			e.is(err, storage.ErrNotFound, "DeleteUser must delete external accounts")
			_, err = e.s.FindCredential(e.ctx, cred.CredentialID)
			e.is(err, storage.ErrNotFound, "DeleteUser must delete credentials")
			_, err = e.s.GetTOTPSecret(e.ctx, u.ID)
			e.is(err, storage.ErrNotFound, "DeleteUser must delete the TOTP secret")
			if codes := must(e.s.ListBackupCodes(e.ctx, u.ID))(e); len(codes) != 0 {
				e.t.Errorf("DeleteUser must delete backup codes: %d left", len(codes))
			}
			_, err = e.s.GetSession(e.ctx, sess.ID)
			e.is(err, storage.ErrNotFound, "DeleteUser must delete sessions")
			_, err = e.members().GetMembership(e.ctx, org.ID, u.ID)
			e.is(err, storage.ErrNotFound, "DeleteUser must delete memberships")

			// What belongs to others stays.
			must(e.s.GetClient(e.ctx, c.ID))(e)
			must(e.orgs().GetOrganization(e.ctx, org.ID))(e)
			must(e.s.GetUserByIdentifier(e.ctx, storage.KindEmailAddress, "keep@example.com"))(e)
			must(e.s.GetTOTPSecret(e.ctx, keep.ID))(e)
			must(e.members().GetMembership(e.ctx, org.ID, keep.ID))(e)
			for name, n := range map[string]int{
				"identifiers":       len(must(e.s.ListIdentifiers(e.ctx, keep.ID))(e)),
				"external accounts": len(must(e.linked().ListExternalAccounts(e.ctx, keep.ID))(e)),
				"credentials":       len(must(e.s.ListCredentials(e.ctx, keep.ID))(e)),
				"backup codes":      len(must(e.s.ListBackupCodes(e.ctx, keep.ID))(e)),
				"sessions":          len(e.sessionIDs(storage.SessionFilter{UserID: keep.ID})),
			} {
				if n == 0 {
					e.t.Errorf("DeleteUser of another user deleted this user's %s", name)
				}
			}
			// The username and address are free again.
			again := newUser()
			again.Username = u.Username
			create(e, e.s.CreateUser, again)
			create(e, e.s.CreateIdentifier, newEmail(again.ID, "gone@example.com", true))
		}},
		test{"ListUsers and CountUsers filters", func(e *env) {
			mk := func(username, first, last, ext string) *storage.User {
				u := newUser()
				u.Username, u.FirstName, u.LastName, u.ExternalID = username, first, last, ext
				return create(e, e.s.CreateUser, u)
			}
			grace := mk("grace", "Grace", "Hopper", "ext-100")
			alan := mk("alan", "Alan", "Turing", "ext-200")
			ada := mk("ada", "Ada", "Lovelace", "ext-100")
			create(e, e.s.CreateIdentifier, newEmail(grace.ID, "grace@navy.mil", true))
			create(e, e.s.CreateIdentifier, newIdent(grace.ID, storage.KindPhoneNumber, "+1 555 0100", true))
			create(e, e.s.CreateIdentifier, newEmail(alan.ID, "alan@bletchley.uk", false))
			create(e, e.s.CreateIdentifier, newEmail(alan.ID, "Grace@Navy.mil", false))
			create(e, e.s.CreateIdentifier, newIdent(ada.ID, storage.KindPhoneNumber, "+44 20 7946 0000", false))
			all := []string{grace.ID, alan.ID, ada.ID}
			for _, c := range []struct {
				name string
				f    storage.UserFilter
				want []string
			}{
				{"no filter lists all", storage.UserFilter{}, all},
				{"email matches canonically, verified or not", storage.UserFilter{EmailAddress: " GRACE@navy.MIL"}, []string{grace.ID, alan.ID}},
				{"unverified email", storage.UserFilter{EmailAddress: "alan@bletchley.uk"}, []string{alan.ID}},
				{"phone matches canonically", storage.UserFilter{PhoneNumber: "+1-555-0100"}, []string{grace.ID}},
				{"phone is not an email", storage.UserFilter{EmailAddress: "+15550100"}, nil},
				{"username matches canonically", storage.UserFilter{Username: "ＡＬＡＮ"}, []string{alan.ID}},
				{"external ID exact", storage.UserFilter{ExternalID: "ext-100"}, []string{grace.ID, ada.ID}},
				{"external ID is case-sensitive", storage.UserFilter{ExternalID: "EXT-100"}, nil},
				{"query in last name, any case", storage.UserFilter{Query: "HOP"}, []string{grace.ID}},
				{"query in first name", storage.UserFilter{Query: "alan"}, []string{alan.ID}},
				{"query in identifier", storage.UserFilter{Query: "bletchley"}, []string{alan.ID}},
				{"query in canonical phone", storage.UserFilter{Query: "+44207946"}, []string{ada.ID}},
				{"query in external ID", storage.UserFilter{Query: "ext-2"}, []string{alan.ID}},
				{"query in ID", storage.UserFilter{Query: ada.ID}, []string{ada.ID}},
				{"query is a substring, not a pattern", storage.UserFilter{Query: "%"}, nil},
				{"fields combine with AND", storage.UserFilter{EmailAddress: "grace@navy.mil", Query: "turing"}, []string{alan.ID}},
				{"AND with no match", storage.UserFilter{ExternalID: "ext-100", Username: "alan"}, nil},
			} {
				got := e.userIDs(c.f)
				if !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
					e.t.Errorf("ListUsers(%s): got %q, want %q", c.name, got, c.want)
				}
				if n := must(e.admin().CountUsers(e.ctx, c.f))(e); n != len(c.want) {
					e.t.Errorf("CountUsers(%s) = %d, want %d", c.name, n, len(c.want))
				}
			}
		}},
	)
}

func identifierTests() []test {
	email := storage.KindEmailAddress
	return group("Identifiers",
		test{"verified identifiers are unique under Canonical", func(e *env) {
			cases := []struct{ name, first, second string }{{"phone separators", "+1 (555) 010-0000", "+1.555.010.0000"}}
			for _, v := range variants {
				cases = append(cases, struct{ name, first, second string }{v.name, fmt.Sprintf(v.first, "@example.com"), fmt.Sprintf(v.second, "@example.com")})
			}
			for _, c := range cases {
				kind := email
				if c.name == "phone separators" {
					kind = storage.KindPhoneNumber
				}
				a, b := e.user(), e.user()
				first := create(e, e.s.CreateIdentifier, newIdent(a.ID, kind, c.first, true))
				e.is(e.s.CreateIdentifier(e.ctx, newIdent(b.ID, kind, c.second, true)), storage.ErrConflict,
					"verified "+c.name+" variant of another user's verified identifier")
				if got := must(e.s.FindIdentifier(e.ctx, kind, c.second))(e); got.ID != first.ID {
					e.t.Errorf("FindIdentifier(%q) = %s, want %s", c.second, got.ID, first.ID)
				}
				if got := must(e.s.GetUserByIdentifier(e.ctx, kind, c.second))(e); got.ID != a.ID {
					e.t.Errorf("GetUserByIdentifier(%q) = %s, want %s", c.second, got.ID, a.ID)
				}
				e.ok(e.s.DeleteIdentifier(e.ctx, first.ID), "DeleteIdentifier")
			}
		}},
		test{"unverified duplicates are allowed but verifying a second conflicts", func(e *env) {
			a, b, c := e.user(), e.user(), e.user()
			ia := create(e, e.s.CreateIdentifier, newEmail(a.ID, "dup@example.com", false))
			ib := create(e, e.s.CreateIdentifier, newEmail(b.ID, "DUP@example.com", false))
			ic := create(e, e.s.CreateIdentifier, newEmail(c.ID, "dup@example.com ", false))
			_, err := e.s.FindIdentifier(e.ctx, email, "dup@example.com")
			e.is(err, storage.ErrNotFound, "FindIdentifier matches verified identifiers only")
			_, err = e.s.GetUserByIdentifier(e.ctx, email, "dup@example.com")
			e.is(err, storage.ErrNotFound, "GetUserByIdentifier matches verified identifiers only")

			ib.VerifiedAt, ib.VerifiedBy, ib.UpdatedAt = at(time.Minute), "email_link", at(time.Minute)
			e.ok(e.s.UpdateIdentifier(e.ctx, ib), "verifying the first of unverified duplicates")
			ia.VerifiedAt, ia.VerifiedBy = at(2*time.Minute), "email_code"
			e.is(e.s.UpdateIdentifier(e.ctx, ia), storage.ErrConflict, "verifying an address another user verified first")
			if got := must(e.s.GetIdentifier(e.ctx, ia.ID))(e); got.Verified() {
				e.t.Errorf("a conflicting UpdateIdentifier must change nothing: %s is now verified", ia.ID)
			}
			if got := must(e.s.GetUserByIdentifier(e.ctx, email, "Dup@Example.com"))(e); got.ID != b.ID {
				e.t.Errorf("GetUserByIdentifier = %s, want %s (who verified first)", got.ID, b.ID)
			}
			e.ok(e.s.DeleteIdentifier(e.ctx, ib.ID), "DeleteIdentifier")
			ic.VerifiedAt, ic.VerifiedBy = at(3*time.Minute), "admin"
			e.ok(e.s.UpdateIdentifier(e.ctx, ic), "verifying once the verified copy is deleted")
		}},
		test{"one user cannot hold the same value twice", func(e *env) {
			u := e.user()
			create(e, e.s.CreateIdentifier, newEmail(u.ID, "me@example.com", false))
			e.is(e.s.CreateIdentifier(e.ctx, newEmail(u.ID, "ME@example.com", false)), storage.ErrConflict, "same user, same canonical email")
			other := create(e, e.s.CreateIdentifier, newEmail(u.ID, "other@example.com", false))
			other.Value = "Me@Example.com"
			e.is(e.s.UpdateIdentifier(e.ctx, other), storage.ErrConflict, "UpdateIdentifier to a value the user already holds")
			// The kind is part of the key.
			create(e, e.s.CreateIdentifier, newIdent(u.ID, "web3_wallet", "me@example.com", true))
			create(e, e.s.CreateIdentifier, newIdent(e.user().ID, "web3_wallet", "other@example.com", true))
			create(e, e.s.CreateIdentifier, newEmail(e.user().ID, "other@example.com", true))
		}},
		test{"ErrNotFound for a missing user or identifier and ErrConflict for a taken ID", func(e *env) {
			e.is(e.s.CreateIdentifier(e.ctx, newEmail(newUser().ID, "x@example.com", false)), storage.ErrNotFound, "CreateIdentifier for a missing user")
			i := create(e, e.s.CreateIdentifier, newEmail(e.user().ID, "x@example.com", false))
			dup := newEmail(e.user().ID, "y@example.com", false)
			dup.ID = i.ID
			e.is(e.s.CreateIdentifier(e.ctx, dup), storage.ErrConflict, "CreateIdentifier with an ID in use")
			missing := newEmail(i.UserID, "z@example.com", false)
			_, err := e.s.GetIdentifier(e.ctx, missing.ID)
			e.is(err, storage.ErrNotFound, "GetIdentifier")
			e.is(e.s.UpdateIdentifier(e.ctx, missing), storage.ErrNotFound, "UpdateIdentifier")
			e.is(e.s.DeleteIdentifier(e.ctx, missing.ID), storage.ErrNotFound, "DeleteIdentifier")
			e.ok(e.s.DeleteIdentifier(e.ctx, i.ID), "DeleteIdentifier")
			e.is(e.s.DeleteIdentifier(e.ctx, i.ID), storage.ErrNotFound, "DeleteIdentifier twice")
		}},
		test{"ListIdentifiers lists only that user oldest first", func(e *env) {
			u := e.user()
			var want []string
			for i, v := range []string{"a@example.com", "+1 555 0101", "b@example.com"} {
				kind := email
				if i == 1 {
					kind = storage.KindPhoneNumber
				}
				want = append(want, create(e, e.s.CreateIdentifier, newIdent(u.ID, kind, v, i == 2)).ID)
			}
			create(e, e.s.CreateIdentifier, newEmail(e.user().ID, "c@example.com", true))
			e.sameIDs("ListIdentifiers", ids(must(e.s.ListIdentifiers(e.ctx, u.ID))(e)), want)
			if got := must(e.s.ListIdentifiers(e.ctx, newUser().ID))(e); len(got) != 0 {
				e.t.Errorf("ListIdentifiers of a missing user: got %d", len(got))
			}
		}},
		test{"UpdateIdentifier replaces value and verification only", func(e *env) {
			u := e.user()
			i := create(e, e.s.CreateIdentifier, newEmail(u.ID, "old@example.com", false))
			want := *i
			upd := *i
			upd.UserID, upd.Kind, upd.CreatedAt = e.user().ID, storage.KindPhoneNumber, at(time.Hour)
			upd.Value, upd.VerifiedAt, upd.VerifiedBy, upd.UpdatedAt = "New@Example.com", atB(time.Minute), "email_link", atB(time.Minute)
			upd.SecondFactor = true // changed only by SetIdentifierSecondFactor
			e.ok(e.s.UpdateIdentifier(e.ctx, &upd), "UpdateIdentifier")
			if upd.Canonical != "new@example.com" {
				e.t.Errorf("UpdateIdentifier must recompute i.Canonical: got %q", upd.Canonical)
			}
			want.Value, want.Canonical, want.VerifiedAt, want.VerifiedBy, want.UpdatedAt = upd.Value, "new@example.com", upd.VerifiedAt, upd.VerifiedBy, upd.UpdatedAt
			e.same("UpdateIdentifier", must(e.s.GetIdentifier(e.ctx, i.ID))(e), &want)
			must(e.s.FindIdentifier(e.ctx, email, "NEW@example.com"))(e)
			_, err := e.s.FindIdentifier(e.ctx, email, "old@example.com")
			e.is(err, storage.ErrNotFound, "the old value must no longer be found")
		}},
		test{"SetIdentifierSecondFactor sets the opt-in and UpdatedAt only", func(e *env) {
			u := e.user()
			i := create(e, e.s.CreateIdentifier, newIdent(u.ID, storage.KindPhoneNumber, "+1 555 0199", true))
			other := create(e, e.s.CreateIdentifier, newEmail(u.ID, "ada@example.com", true))
			want := *i
			e.ok(e.s.SetIdentifierSecondFactor(e.ctx, i.ID, true, atB(time.Minute)), "SetIdentifierSecondFactor on")
			want.SecondFactor, want.UpdatedAt = true, atB(time.Minute)
			e.same("SetIdentifierSecondFactor on", must(e.s.GetIdentifier(e.ctx, i.ID))(e), &want)
			e.same("another identifier of the user", must(e.s.GetIdentifier(e.ctx, other.ID))(e), other)
			if got := must(e.s.FindIdentifier(e.ctx, storage.KindPhoneNumber, "+15550199"))(e); !got.SecondFactor {
				e.t.Error("FindIdentifier does not return SecondFactor")
			}
			if got := must(e.s.ListIdentifiers(e.ctx, u.ID))(e); len(got) != 2 || got[0].SecondFactor != (got[0].ID == i.ID) || got[1].SecondFactor != (got[1].ID == i.ID) {
				e.t.Error("ListIdentifiers does not return SecondFactor")
			}
			e.ok(e.s.SetIdentifierSecondFactor(e.ctx, i.ID, true, atB(2*time.Minute)), "SetIdentifierSecondFactor on again")
			e.ok(e.s.SetIdentifierSecondFactor(e.ctx, i.ID, false, at(3*time.Minute)), "SetIdentifierSecondFactor off")
			want.SecondFactor, want.UpdatedAt = false, at(3*time.Minute)
			e.same("SetIdentifierSecondFactor off", must(e.s.GetIdentifier(e.ctx, i.ID))(e), &want)
			e.is(e.s.SetIdentifierSecondFactor(e.ctx, newEmail(u.ID, "x@example.com", false).ID, true, at(0)), storage.ErrNotFound, "SetIdentifierSecondFactor of a missing identifier")
		}},
		test{"SetIdentifierSecondFactor is undone with its transaction", func(e *env) {
			i := create(e, e.s.CreateIdentifier, newEmail(e.user().ID, "tx@example.com", true))
			boom := errors.New("boom")
			err := e.s.InTx(e.ctx, func(q storage.Querier) error {
				if err := q.SetIdentifierSecondFactor(e.ctx, i.ID, true, at(time.Minute)); err != nil {
					return err
				}
				return boom
			})
			e.is(err, boom, "InTx")
			if must(e.s.GetIdentifier(e.ctx, i.ID))(e).SecondFactor {
				e.t.Error("a rolled-back SetIdentifierSecondFactor is kept")
			}
		}},
	)
}

func externalAccountTests() []test {
	return group("ExternalAccounts",
		test{"issuer and subject are unique and matched exactly", func(e *env) {
			a := create(e, e.s.CreateExternalAccount, newExternalAccount(e.user().ID))
			dup := newExternalAccount(e.user().ID)
			dup.Issuer, dup.Subject = a.Issuer, a.Subject
			e.is(e.s.CreateExternalAccount(e.ctx, dup), storage.ErrConflict, "CreateExternalAccount with a linked (issuer, subject)")
			dup.ID = a.ID
			dup.Subject = "another"
			e.is(e.s.CreateExternalAccount(e.ctx, dup), storage.ErrConflict, "CreateExternalAccount with an ID in use")
			other := newExternalAccount(e.user().ID)
			other.Issuer, other.Subject = "https://login.microsoftonline.com", a.Subject
			create(e, e.s.CreateExternalAccount, other)
			if got := must(e.s.FindExternalAccount(e.ctx, a.Issuer, a.Subject))(e); got.ID != a.ID {
				e.t.Errorf("FindExternalAccount = %s, want %s", got.ID, a.ID)
			}
			for _, k := range [][2]string{{a.Issuer, "SUB-" + a.Subject[4:]}, {a.Issuer + "/", a.Subject}, {"", a.Subject}} {
				_, err := e.s.FindExternalAccount(e.ctx, k[0], k[1])
				e.is(err, storage.ErrNotFound, "FindExternalAccount matches issuer and subject exactly")
			}
		}},
		test{"UpdateExternalAccount keeps ID user issuer subject and CreatedAt", func(e *env) {
			a := create(e, e.s.CreateExternalAccount, newExternalAccount(e.user().ID))
			upd := newExternalAccount(e.user().ID)
			upd.Issuer, upd.CreatedAt = "https://other.example", at(time.Hour)
			upd.ID, upd.EmailAddress, upd.Scopes, upd.AccessToken = a.ID, "new@gmail.com", []string{"openid"}, []byte("new")
			e.ok(e.linked().UpdateExternalAccount(e.ctx, upd), "UpdateExternalAccount")
			want := *upd
			want.UserID, want.Issuer, want.Subject, want.CreatedAt = a.UserID, a.Issuer, a.Subject, a.CreatedAt
			e.same("UpdateExternalAccount", must(e.linked().GetExternalAccount(e.ctx, a.ID))(e), &want)
		}},
		test{"List and Delete and missing accounts", func(e *env) {
			u := e.user()
			a1 := create(e, e.s.CreateExternalAccount, newExternalAccount(u.ID))
			a2 := create(e, e.s.CreateExternalAccount, newExternalAccount(u.ID))
			create(e, e.s.CreateExternalAccount, newExternalAccount(e.user().ID))
			e.sameIDs("ListExternalAccounts, oldest first", ids(must(e.linked().ListExternalAccounts(e.ctx, u.ID))(e)), []string{a1.ID, a2.ID})
			e.ok(e.linked().DeleteExternalAccount(e.ctx, a1.ID), "DeleteExternalAccount")
			_, err := e.linked().GetExternalAccount(e.ctx, a1.ID)
			e.is(err, storage.ErrNotFound, "GetExternalAccount after delete")
			e.is(e.linked().DeleteExternalAccount(e.ctx, a1.ID), storage.ErrNotFound, "DeleteExternalAccount twice")
			e.is(e.linked().UpdateExternalAccount(e.ctx, a1), storage.ErrNotFound, "UpdateExternalAccount of a missing account")
			create(e, e.s.CreateExternalAccount, newExternalAccount(u.ID)) // (issuer, subject) of a1 is free
		}},
	)
}

func credentialTests() []test {
	return group("Credentials",
		test{"credential ID is unique across users", func(e *env) {
			c := create(e, e.s.CreateCredential, newCredential(e.user().ID))
			dup := newCredential(e.user().ID)
			dup.CredentialID = bytes.Clone(c.CredentialID)
			e.is(e.s.CreateCredential(e.ctx, dup), storage.ErrConflict, "CreateCredential with a registered credential ID")
			dup = newCredential(e.user().ID)
			dup.ID = c.ID
			e.is(e.s.CreateCredential(e.ctx, dup), storage.ErrConflict, "CreateCredential with an ID in use")
			if got := must(e.s.FindCredential(e.ctx, bytes.Clone(c.CredentialID)))(e); got.ID != c.ID {
				e.t.Errorf("FindCredential = %s, want %s", got.ID, c.ID)
			}
			_, err := e.s.FindCredential(e.ctx, bytes.ToUpper(c.CredentialID))
			e.is(err, storage.ErrNotFound, "FindCredential matches bytes exactly")
		}},
		test{"RenameCredential sets the name and time only", func(e *env) {
			c := create(e, e.s.CreateCredential, newCredential(e.user().ID))
			e.ok(e.s.RenameCredential(e.ctx, c.ID, "Phone", atB(time.Hour)), "RenameCredential")
			want := *c
			want.Name, want.UpdatedAt = "Phone", at(time.Hour)
			e.same("RenameCredential", must(e.s.GetCredential(e.ctx, c.ID))(e), &want)
		}},
		test{"RecordCredentialUse sets counter backup state and times only", func(e *env) {
			c := create(e, e.s.CreateCredential, newCredential(e.user().ID))
			e.ok(e.s.RecordCredentialUse(e.ctx, c.ID, c.SignCount+1, false, atB(time.Hour)), "RecordCredentialUse")
			want := *c
			want.SignCount, want.BackupState, want.LastUsedAt, want.UpdatedAt = c.SignCount+1, false, at(time.Hour), at(time.Hour)
			e.same("RecordCredentialUse", must(e.s.GetCredential(e.ctx, c.ID))(e), &want)
			// The whole range of a uint32 counter.
			e.ok(e.s.RecordCredentialUse(e.ctx, c.ID, math.MaxUint32, true, at(2*time.Hour)), "RecordCredentialUse with the largest count")
			want.SignCount, want.BackupState, want.LastUsedAt, want.UpdatedAt = math.MaxUint32, true, at(2*time.Hour), at(2*time.Hour)
			e.same("RecordCredentialUse with the largest count", must(e.s.GetCredential(e.ctx, c.ID))(e), &want)
		}},
		test{"RecordCredentialUse refuses a counter that does not advance", func(e *env) {
			e.is(e.s.RecordCredentialUse(e.ctx, newCredential("").ID, 1, false, at(0)), storage.ErrNotFound, "RecordCredentialUse of a missing credential")
			c := create(e, e.s.CreateCredential, newCredential(e.user().ID)) // SignCount 7
			e.ok(e.s.RecordCredentialUse(e.ctx, c.ID, 9, false, at(time.Hour)), "RecordCredentialUse skipping a count")
			want := must(e.s.GetCredential(e.ctx, c.ID))(e)
			for _, n := range []uint32{9, 8, 1, 0} {
				e.is(e.s.RecordCredentialUse(e.ctx, c.ID, n, true, at(2*time.Hour)), storage.ErrConsumed,
					fmt.Sprintf("RecordCredentialUse with count %d after 9", n))
			}
			e.same("a refused RecordCredentialUse changes nothing", must(e.s.GetCredential(e.ctx, c.ID))(e), want)
			e.ok(e.s.RecordCredentialUse(e.ctx, c.ID, 10, false, at(3*time.Hour)), "RecordCredentialUse after refusals")
		}},
		test{"RecordCredentialUse without a counter", func(e *env) {
			c := newCredential(e.user().ID)
			c.SignCount = 0
			create(e, e.s.CreateCredential, c)
			// An authenticator that keeps no counter reports 0 every time.
			for i := range 3 {
				e.ok(e.s.RecordCredentialUse(e.ctx, c.ID, 0, false, at(time.Duration(i)*time.Minute)), "RecordCredentialUse with count 0 over 0")
			}
			if got := must(e.s.GetCredential(e.ctx, c.ID))(e); got.SignCount != 0 || !got.LastUsedAt.Equal(at(2*time.Minute)) {
				e.t.Errorf("after uses without a counter: SignCount %d, LastUsedAt %v; want 0 and the last use", got.SignCount, got.LastUsedAt)
			}
			// Once it counts, it may not go back to 0.
			e.ok(e.s.RecordCredentialUse(e.ctx, c.ID, 1, false, at(time.Hour)), "RecordCredentialUse with count 1 over 0")
			e.is(e.s.RecordCredentialUse(e.ctx, c.ID, 0, false, at(time.Hour)), storage.ErrConsumed, "RecordCredentialUse with count 0 over 1")
		}},
		test{"List and Delete and missing credentials", func(e *env) {
			u := e.user()
			c1 := create(e, e.s.CreateCredential, newCredential(u.ID))
			c2 := create(e, e.s.CreateCredential, newCredential(u.ID))
			create(e, e.s.CreateCredential, newCredential(e.user().ID))
			e.sameIDs("ListCredentials, oldest first", ids(must(e.s.ListCredentials(e.ctx, u.ID))(e)), []string{c1.ID, c2.ID})
			e.ok(e.s.DeleteCredential(e.ctx, c1.ID), "DeleteCredential")
			_, err := e.s.GetCredential(e.ctx, c1.ID)
			e.is(err, storage.ErrNotFound, "GetCredential after delete")
			_, err = e.s.FindCredential(e.ctx, c1.CredentialID)
			e.is(err, storage.ErrNotFound, "FindCredential after delete")
			e.is(e.s.DeleteCredential(e.ctx, c1.ID), storage.ErrNotFound, "DeleteCredential twice")
			e.is(e.s.RenameCredential(e.ctx, c1.ID, "x", atB(0)), storage.ErrNotFound, "RenameCredential of a missing credential")
		}},
	)
}

func factorTests() []test {
	return group("Factors",
		test{"PutTOTPSecret replaces and needs a user", func(e *env) {
			u := e.user()
			e.is(e.s.PutTOTPSecret(e.ctx, newTOTP(newUser().ID)), storage.ErrNotFound, "PutTOTPSecret for a missing user")
			create(e, e.s.PutTOTPSecret, newTOTP(u.ID))
			s2 := newTOTP(u.ID)
			s2.VerifiedAt, s2.LastUsedStep, s2.Secret = time.Time{}, 0, []byte("second")
			create(e, e.s.PutTOTPSecret, s2)
			e.same("PutTOTPSecret replaces the previous secret", must(e.s.GetTOTPSecret(e.ctx, u.ID))(e), s2)
			e.ok(e.s.DeleteTOTPSecret(e.ctx, u.ID), "DeleteTOTPSecret")
			_, err := e.s.GetTOTPSecret(e.ctx, u.ID)
			e.is(err, storage.ErrNotFound, "GetTOTPSecret after delete")
			e.is(e.s.DeleteTOTPSecret(e.ctx, u.ID), storage.ErrNotFound, "DeleteTOTPSecret twice")
		}},
		test{"TOTP steps only advance", func(e *env) {
			u := e.user()
			e.is(e.s.VerifyTOTPSecret(e.ctx, u.ID, 100, at(0)), storage.ErrNotFound, "VerifyTOTPSecret without a secret")
			e.is(e.s.AdvanceTOTPStep(e.ctx, u.ID, 100, at(0)), storage.ErrNotFound, "AdvanceTOTPStep without a secret")
			s := newTOTP(u.ID)
			s.VerifiedAt, s.LastUsedStep = time.Time{}, 0
			create(e, e.s.PutTOTPSecret, s)
			e.ok(e.s.VerifyTOTPSecret(e.ctx, u.ID, 100, atB(time.Minute)), "VerifyTOTPSecret")
			got := must(e.s.GetTOTPSecret(e.ctx, u.ID))(e)
			if !got.VerifiedAt.Equal(at(time.Minute)) || got.LastUsedStep != 100 {
				e.t.Errorf("VerifyTOTPSecret must set VerifiedAt and LastUsedStep: got %v, %d", got.VerifiedAt, got.LastUsedStep)
			}
			e.is(e.s.AdvanceTOTPStep(e.ctx, u.ID, 100, at(0)), storage.ErrConsumed, "AdvanceTOTPStep with the step the enrolment code used")
			e.is(e.s.AdvanceTOTPStep(e.ctx, u.ID, 99, at(0)), storage.ErrConsumed, "AdvanceTOTPStep with an earlier step")
			e.ok(e.s.AdvanceTOTPStep(e.ctx, u.ID, 101, at(0)), "AdvanceTOTPStep with a later step")
			e.is(e.s.AdvanceTOTPStep(e.ctx, u.ID, 101, at(0)), storage.ErrConsumed, "AdvanceTOTPStep replay")
			e.is(e.s.VerifyTOTPSecret(e.ctx, u.ID, 101, at(0)), storage.ErrConsumed, "VerifyTOTPSecret with a used step")
			if got := must(e.s.GetTOTPSecret(e.ctx, u.ID))(e); got.LastUsedStep != 101 {
				e.t.Errorf("LastUsedStep = %d, want 101", got.LastUsedStep)
			}
		}},
		test{"backup codes are replaced and consumed once", func(e *env) {
			u, other := e.user(), e.user()
			e.is(e.s.ReplaceBackupCodes(e.ctx, newUser().ID, []*storage.BackupCode{newBackupCode("", "x")}), storage.ErrNotFound, "ReplaceBackupCodes for a missing user")
			old := []*storage.BackupCode{newBackupCode(u.ID, "old1"), newBackupCode(u.ID, "old2")}
			e.ok(e.s.ReplaceBackupCodes(e.ctx, u.ID, old), "ReplaceBackupCodes")
			e.ok(e.s.ReplaceBackupCodes(e.ctx, other.ID, []*storage.BackupCode{newBackupCode(other.ID, "theirs")}), "ReplaceBackupCodes")
			codes := []*storage.BackupCode{newBackupCode(u.ID, "a"), newBackupCode(u.ID, "b"), newBackupCode(u.ID, "c")}
			e.ok(e.s.ReplaceBackupCodes(e.ctx, u.ID, codes), "ReplaceBackupCodes again")
			got := must(e.s.ListBackupCodes(e.ctx, u.ID))(e)
			slices.SortFunc(got, func(a, b *storage.BackupCode) int { return bytes.Compare([]byte(a.ID), []byte(b.ID)) })
			e.sameIDs("ReplaceBackupCodes deletes the old codes", ids(got), ids(codes))
			e.is(e.s.ConsumeBackupCode(e.ctx, u.ID, old[0].CodeHash, at(0)), storage.ErrNotFound, "ConsumeBackupCode of a replaced code")
			e.is(e.s.ConsumeBackupCode(e.ctx, u.ID, []byte("sha256:theirs"), at(0)), storage.ErrNotFound, "ConsumeBackupCode of another user's code")
			e.ok(e.s.ConsumeBackupCode(e.ctx, u.ID, []byte("sha256:b"), atB(time.Minute)), "ConsumeBackupCode")
			e.is(e.s.ConsumeBackupCode(e.ctx, u.ID, []byte("sha256:b"), at(0)), storage.ErrConsumed, "ConsumeBackupCode twice")
			for _, c := range must(e.s.ListBackupCodes(e.ctx, u.ID))(e) {
				if used := !c.UsedAt.IsZero(); used != (c.ID == codes[1].ID) || used && !c.UsedAt.Equal(at(time.Minute)) {
					e.t.Errorf("after consuming code b, code %s has UsedAt %v", c.ID, c.UsedAt)
				}
			}
			e.ok(e.s.ConsumeBackupCode(e.ctx, u.ID, []byte("sha256:c"), at(0)), "ConsumeBackupCode of another code")
		}},
	)
}
