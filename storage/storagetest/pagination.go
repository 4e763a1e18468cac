package storagetest

import (
	"slices"

	"github.com/latchauth/latch/storage"
)

// lister is one paginated list of the contract, scoped to fixtures made by
// its setup: add stores one more record in the listed scope and returns its
// ID.
type lister struct {
	name  string
	setup func(e *env) (add func() string, list func(p storage.Page) ([]string, string, error))
}

// listOf adapts a list method to return IDs.
func listOf[T any](records []*T, next string, err error) ([]string, string, error) {
	return ids(records), next, err
}

func listers() []lister {
	return []lister{
		{"ListUsers", func(e *env) (func() string, func(storage.Page) ([]string, string, error)) {
			return func() string { return e.user().ID }, func(p storage.Page) ([]string, string, error) {
				return listOf(e.s.ListUsers(e.ctx, storage.UserFilter{}, p))
			}
		}},
		{"ListSessions", func(e *env) (func() string, func(storage.Page) ([]string, string, error)) {
			u := e.user()
			e.session(e.user().ID) // another user's
			return func() string { return e.session(u.ID).ID }, func(p storage.Page) ([]string, string, error) {
				return listOf(e.s.ListSessions(e.ctx, storage.SessionFilter{UserID: u.ID}, p))
			}
		}},
		{"ListOrganizations", func(e *env) (func() string, func(storage.Page) ([]string, string, error)) {
			return func() string { return e.org().ID }, func(p storage.Page) ([]string, string, error) {
				return listOf(e.orgs().ListOrganizations(e.ctx, "", p))
			}
		}},
		{"ListMemberships", func(e *env) (func() string, func(storage.Page) ([]string, string, error)) {
			o := e.org()
			create(e, e.members().CreateMembership, newMembership(e.org().ID, e.user().ID))
			return func() string { return create(e, e.members().CreateMembership, newMembership(o.ID, e.user().ID)).ID },
				func(p storage.Page) ([]string, string, error) {
					return listOf(e.members().ListMemberships(e.ctx, storage.MembershipFilter{OrganizationID: o.ID}, p))
				}
		}},
		{"ListInvitations", func(e *env) (func() string, func(storage.Page) ([]string, string, error)) {
			o := e.org()
			create(e, e.s.CreateInvitation, newInvitation(""))
			return func() string { return create(e, e.s.CreateInvitation, newInvitation(o.ID)).ID },
				func(p storage.Page) ([]string, string, error) {
					return listOf(e.s.ListInvitations(e.ctx, o.ID, "", p))
				}
		}},
		{"ListInvitationsForEmail", func(e *env) (func() string, func(storage.Page) ([]string, string, error)) {
			other := newInvitation(e.org().ID)
			other.EmailAddress = "someone.else@example.com"
			create(e, e.s.CreateInvitation, other)
			return func() string {
					i := newInvitation(e.org().ID)
					i.EmailAddress = "Paged@Example.com"
					return create(e, e.s.CreateInvitation, i).ID
				}, func(p storage.Page) ([]string, string, error) {
					return listOf(e.invitesFor().ListInvitationsForEmail(e.ctx, "paged@example.com", "", p))
				}
		}},
		{"ListMembershipRequests", func(e *env) (func() string, func(storage.Page) ([]string, string, error)) {
			o := e.org()
			create(e, e.requests().CreateMembershipRequest, newMembershipRequest(e.org().ID, e.user().ID))
			return func() string {
					return create(e, e.requests().CreateMembershipRequest, newMembershipRequest(o.ID, e.user().ID)).ID
				}, func(p storage.Page) ([]string, string, error) {
					return listOf(e.requests().ListMembershipRequests(e.ctx, storage.MembershipRequestFilter{OrganizationID: o.ID}, p))
				}
		}},
		{"ListAuditEvents", func(e *env) (func() string, func(storage.Page) ([]string, string, error)) {
			u := e.user()
			create(e, e.s.AppendAuditEvent, newAudit("x", ""))
			return func() string { return create(e, e.s.AppendAuditEvent, newAudit("sign_in.failed", u.ID)).ID },
				func(p storage.Page) ([]string, string, error) {
					return listOf(e.admin().ListAuditEvents(e.ctx, storage.AuditFilter{UserID: u.ID}, p))
				}
		}},
	}
}

// walk lists every page and returns them, failing the test on an error or
// a cursor that does not end.
func (e *env) walk(list func(storage.Page) ([]string, string, error), limit int, desc bool, between func(page int)) [][]string {
	e.t.Helper()
	var pages [][]string
	p := storage.Page{Limit: limit, Desc: desc}
	for {
		got, next, err := list(p)
		e.ok(err, "list page")
		pages = append(pages, got)
		if next == "" {
			return pages
		}
		if len(pages) > 1000 {
			e.t.Fatal("pagination does not end: the next cursor is never empty")
		}
		if between != nil {
			between(len(pages))
		}
		p.After = next
	}
}

func paginationTests() []test {
	var tests []test
	for _, l := range listers() {
		tests = append(tests, test{l.name + " keyset pages forward and Desc", func(e *env) {
			add, list := l.setup(e)
			var want []string
			for range 7 {
				want = append(want, add())
			}
			desc := slices.Clone(want)
			slices.Reverse(desc)
			for _, c := range []struct {
				limit int
				desc  bool
				want  [][]string
			}{
				{3, false, [][]string{want[:3], want[3:6], want[6:]}},
				{3, true, [][]string{desc[:3], desc[3:6], desc[6:]}},
				{7, false, [][]string{want}}, // an exactly full last page has no next cursor
				{6, true, [][]string{desc[:6], desc[6:]}},
				{0, false, [][]string{want}},
			} {
				pages := e.walk(list, c.limit, c.desc, nil)
				if !slices.EqualFunc(pages, c.want, slices.Equal) {
					e.t.Errorf("%s(Limit %d, Desc %v): got pages %q, want %q", l.name, c.limit, c.desc, pages, c.want)
				}
			}
		}})
	}
	tests = append(tests,
		test{"page sizes default to DefaultLimit and stop at MaxLimit", func(e *env) {
			e.ok(e.s.InTx(e.ctx, func(q storage.Querier) error {
				for range storage.MaxLimit + 1 {
					if err := q.CreateUser(e.ctx, newUser()); err != nil {
						return err
					}
				}
				return nil
			}), "creating users in a transaction")
			for _, c := range []struct{ limit, want int }{{0, storage.DefaultLimit}, {-1, storage.DefaultLimit}, {storage.MaxLimit + 100, storage.MaxLimit}, {1, 1}} {
				got, next, err := e.s.ListUsers(e.ctx, storage.UserFilter{}, storage.Page{Limit: c.limit})
				e.ok(err, "ListUsers")
				if len(got) != c.want || next == "" {
					e.t.Errorf("ListUsers(Limit %d): %d users, next %q; want %d and a cursor", c.limit, len(got), next, c.want)
				}
			}
		}},
		test{"cursor is stable when records are inserted and deleted between pages", func(e *env) {
			for _, desc := range []bool{false, true} {
				// Reserve IDs, create every other one, and fill the gaps later,
				// as instances whose clocks differ slightly would.
				var reserved, existing []string
				for i := range 20 {
					id := newID("user")
					if i%2 == 0 {
						u := newUser()
						u.ID, u.Username = id, ""
						existing = append(existing, create(e, e.s.CreateUser, u).ID)
					} else {
						reserved = append(reserved, id)
					}
				}
				deleted := existing[7]
				pages := e.walk(func(p storage.Page) ([]string, string, error) {
					return listOf(e.s.ListUsers(e.ctx, storage.UserFilter{}, p))
				}, 3, desc, func(page int) {
					if page > 3 {
						return
					}
					for _, id := range []string{reserved[page], reserved[len(reserved)-page], newID("user")} {
						u := newUser()
						u.ID = id
						create(e, e.s.CreateUser, u)
					}
					if page == 1 {
						e.ok(e.s.DeleteUser(e.ctx, deleted), "DeleteUser")
					}
				})
				seen := map[string]bool{}
				var last string
				for _, id := range slices.Concat(pages...) {
					if seen[id] {
						e.t.Errorf("Desc %v: %s returned twice across pages", desc, id)
					}
					if last != "" && (id <= last) != desc {
						e.t.Errorf("Desc %v: %s after %s breaks ID order across pages", desc, id, last)
					}
					seen[id], last = true, id
				}
				for _, id := range existing {
					if !seen[id] && id != deleted {
						e.t.Errorf("Desc %v: %s existed throughout but was skipped", desc, id)
					}
				}
				e.ok(e.s.InTx(e.ctx, func(q storage.Querier) error { // start the next round empty
					users, _, err := q.ListUsers(e.ctx, storage.UserFilter{}, storage.Page{Limit: storage.MaxLimit})
					for _, u := range users {
						if err == nil {
							err = q.DeleteUser(e.ctx, u.ID)
						}
					}
					return err
				}), "deleting users")
			}
		}},
	)
	return group("Pagination", tests...)
}
