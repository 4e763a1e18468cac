package latch_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/storage"
)

// hookPlugin registers the hooks a test gives it.
type hookPlugin struct {
	h         *latch.Host
	signUp    func(context.Context, *latch.SignUpHook) error
	session   func(context.Context, *latch.SessionCreateHook) error
	signInPol latch.SignInPolicy
}

func (p *hookPlugin) Name() string { return "hooks" }
func (p *hookPlugin) Register(h *latch.Host) error {
	p.h = h
	if err := h.DeclareEvents(latch.EventType{Name: "test.provisioned", Description: "A sign-up hook provisioned the user."}); err != nil {
		return err
	}
	if p.signUp != nil {
		h.OnSignUp(p.signUp)
	}
	if p.session != nil {
		h.OnSessionCreate(p.session)
	}
	if p.signInPol != nil {
		h.AddSignInPolicy(p.signInPol)
	}
	return nil
}

// eventLog records the types of the events an Auth dispatches.
type eventLog struct {
	mu    sync.Mutex
	types []string
}

func (l *eventLog) record(_ context.Context, e latch.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.types = append(l.types, e.Type)
}

func (l *eventLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.types
	l.types = nil
	return out
}

// TestSignUpHookFailureCreatesNothing: a hook's error aborts the sign-up in
// the transaction that creates the user, so a plugin that cannot provision
// what it keeps for every user (its organization, its billing customer)
// never leaves a user without it, and nothing is announced.
func TestSignUpHookFailureCreatesNothing(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		refuse := true
		var seen []string
		p := &hookPlugin{signUp: func(ctx context.Context, e *latch.SignUpHook) error {
			seen = append(seen, e.Strategy)
			if err := e.Tx.Emit(ctx, "test.provisioned", e.User.ID, map[string]string{"id": e.User.ID}); err != nil {
				return err
			}
			if u, err := e.Tx.GetUser(ctx, e.User.ID); err != nil || u.ID != e.User.ID {
				t.Errorf("the user is not in the hook's transaction: %v", err)
			}
			if refuse {
				return errors.New("billing is down")
			}
			return nil
		}}
		e := newFlowEnv(t, latch.Config{Store: s, Plugins: []latch.Plugin{p}})
		var log eventLog
		e.Subscribe(log.record)

		b := e.browser()
		out, code := call(t, b, "/v1/client/sign_ups", map[string]any{"email_address": "ada@example.com", "password": goodPassword})
		mustStatus(t, out, code, "missing_requirements")
		id := out["id"].(string)
		call(t, b, "/v1/client/sign_ups/"+id+"/prepare_verification", map[string]any{"strategy": "email_code"})
		log.take()
		out, code = call(t, b, "/v1/client/sign_ups/"+id+"/attempt_verification", map[string]any{"strategy": "email_code", "code": e.LastCode(t, "ada@example.com")})
		if code != 503 || errCode(out) != latch.ErrUnavailable.Code {
			t.Fatalf("a failing hook: %d %v, want 503 unavailable", code, out)
		}
		if _, err := e.GetUserByEmailAddress(ctx, "ada@example.com"); !errors.Is(err, latch.ErrNotFound) {
			t.Errorf("the user exists after the hook failed: %v", err)
		}
		if got := log.take(); len(got) != 0 {
			t.Errorf("events after the hook failed: %v", got)
		}

		if _, err := e.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"bob@example.com"}}); !errors.Is(err, latch.ErrUnavailable) {
			t.Errorf("CreateUser with a failing hook: %v", err)
		}
		if _, err := e.GetUserByEmailAddress(ctx, "bob@example.com"); !errors.Is(err, latch.ErrNotFound) {
			t.Errorf("CreateUser stored the user: %v", err)
		}

		refuse = false
		uid := e.SignUpOn(t, e.browser(), "cy@example.com", goodPassword)
		if got := log.take(); !slices.Contains(got, "test.provisioned") || !slices.Contains(got, latch.EventUserCreated) {
			t.Errorf("events of a sign-up: %v, want the hook's and user.created", got)
		}
		if uid == "" || !slices.Equal(seen[len(seen)-1:], []string{"email_code"}) || seen[len(seen)-2] != "admin" {
			t.Errorf("strategies the hook saw: %v", seen)
		}

		// An invitation's sign-up runs the hooks too, and a refusal keeps
		// the invitation.
		if _, err := e.CreateInvitation(ctx, "dee@example.com", 0); err != nil {
			t.Fatal(err)
		}
		link, _ := url.Parse(e.LastLink(t, "dee@example.com"))
		ticket := link.Query().Get("ticket")
		refuse = true
		if out, code := call(t, e.browser(), "/v1/client/sign_ups", map[string]any{"ticket": ticket, "password": goodPassword}); code != 503 {
			t.Fatalf("an invitation's sign-up with a failing hook: %d %v", code, out)
		}
		refuse = false
		out, code = call(t, e.browser(), "/v1/client/sign_ups", map[string]any{"ticket": ticket, "password": goodPassword})
		mustStatus(t, out, code, "complete")
		if seen[len(seen)-1] != latch.StrategyTicket {
			t.Errorf("an invitation's sign-up: the hook saw %v", seen)
		}
	})
}

// TestSessionHookPicksTheActiveOrganization: the organization an
// OnSessionCreate hook picks is stored with the session and is what the
// first token is minted from.
func TestSessionHookPicksTheActiveOrganization(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		p := &hookPlugin{session: func(_ context.Context, e *latch.SessionCreateHook) error {
			if e.User == nil || e.Session.UserID != e.User.ID || e.Session.ID == "" {
				t.Errorf("the hook's session: %+v", e.Session)
			}
			e.ActiveOrganizationID = "org_" + e.User.ID
			return nil
		}}
		var minted []string
		cfg := latch.Config{Store: s, Plugins: []latch.Plugin{p}}
		cfg.Session.Claims = func(_ context.Context, s *storage.Session) (map[string]any, error) {
			minted = append(minted, s.ActiveOrganizationID)
			return map[string]any{"active_org": s.ActiveOrganizationID}, nil
		}
		e := newFlowEnv(t, cfg)
		b := e.browser()
		uid := e.SignUpOn(t, b, "ada@example.com", goodPassword)
		if len(minted) == 0 || minted[0] != "org_"+uid {
			t.Fatalf("the first token was minted for %v, want org_%s", minted, uid)
		}
		c, err := e.Verifier().Verify(b.Cookie("__Host-latch_session"))
		if err != nil || c.Extra["active_org"] != "org_"+uid {
			t.Fatalf("the first token: %v %v", c, err)
		}
		stored, err := e.Store.GetSession(ctx, c.SessionID)
		if err != nil || stored.ActiveOrganizationID != "org_"+uid {
			t.Errorf("stored session: %+v %v", stored, err)
		}
	})
}

// TestSessionHookFailureCreatesNoSession: a hook's error stops the session
// from existing, so a plugin's rule (no sign-in without an organization)
// cannot be skipped by its own failure.
func TestSessionHookFailureCreatesNoSession(t *testing.T) {
	ctx := context.Background()
	p := &hookPlugin{session: func(context.Context, *latch.SessionCreateHook) error {
		return latch.ErrForbidden.WithMessage("No organization.")
	}}
	e := newFlowEnv(t, latch.Config{Plugins: []latch.Plugin{p}})
	u, err := e.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	var log eventLog
	e.Subscribe(log.record)
	rec := httptest.NewRecorder()
	if _, err := e.CreateSession(ctx, rec, httptest.NewRequest("GET", "/", nil), u.ID, latch.SessionParams{}); !errors.Is(err, latch.ErrForbidden) {
		t.Fatalf("CreateSession: %v, want the hook's error", err)
	}
	if ss, _ := e.ListUserSessions(ctx, u.ID, ""); len(ss) != 0 || len(rec.Result().Cookies()) != 0 {
		t.Errorf("a session after the hook refused: %v %v", ss, rec.Result().Cookies())
	}
	if got := log.take(); len(got) != 0 {
		t.Errorf("events: %v", got)
	}
}

// TestHostUserAPIEmitsTheSameEvents: a plugin's changes to users and
// sessions through Host go through the paths of Auth's API, so that
// subscribers (webhooks, the audit log) see every change whoever made it.
func TestHostUserAPIEmitsTheSameEvents(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		p := &hookPlugin{}
		e := newFlowEnv(t, latch.Config{Store: s, Plugins: []latch.Plugin{p}})
		var log eventLog
		e.Subscribe(log.record)
		type api struct {
			create    func(latch.CreateUserParams) (*latch.User, error)
			update    func(string, latch.UpdateUserParams) (*latch.User, error)
			ban       func(string) error
			unban     func(string) error
			session   func(string) (*latch.Session, error)
			revoke    func(string) error
			revokeAll func(string) error
			remove    func(string) error
		}
		session := func(create func(w *httptest.ResponseRecorder, uid string) (*latch.Session, error)) func(string) (*latch.Session, error) {
			return func(uid string) (*latch.Session, error) { return create(httptest.NewRecorder(), uid) }
		}
		req := httptest.NewRequest("GET", "/", nil)
		auth := api{
			create: func(cp latch.CreateUserParams) (*latch.User, error) { return e.CreateUser(ctx, cp) },
			update: func(id string, up latch.UpdateUserParams) (*latch.User, error) { return e.UpdateUser(ctx, id, up) },
			ban:    func(id string) error { return e.BanUser(ctx, id) }, unban: func(id string) error { return e.UnbanUser(ctx, id) },
			session: session(func(w *httptest.ResponseRecorder, uid string) (*latch.Session, error) {
				return e.CreateSession(ctx, w, req, uid, latch.SessionParams{})
			}),
			revoke: func(id string) error { return e.RevokeSession(ctx, id) }, revokeAll: func(id string) error { return e.RevokeUserSessions(ctx, id, "") },
			remove: func(id string) error { return e.DeleteUser(ctx, id) },
		}
		host := api{
			create: func(cp latch.CreateUserParams) (*latch.User, error) { return p.h.CreateUser(ctx, cp) },
			update: func(id string, up latch.UpdateUserParams) (*latch.User, error) { return p.h.UpdateUser(ctx, id, up) },
			ban:    func(id string) error { return p.h.BanUser(ctx, id) }, unban: func(id string) error { return p.h.UnbanUser(ctx, id) },
			session: session(func(w *httptest.ResponseRecorder, uid string) (*latch.Session, error) {
				return p.h.CreateSession(ctx, w, req, uid, latch.SessionParams{})
			}),
			revoke: func(id string) error { return p.h.RevokeSession(ctx, id) }, revokeAll: func(id string) error { return p.h.RevokeUserSessions(ctx, id, "") },
			remove: func(id string) error { return p.h.DeleteUser(ctx, id) },
		}
		run := func(t *testing.T, x api, email string) []string {
			name := "Ada"
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			u, err := x.create(latch.CreateUserParams{EmailAddresses: []string{email}})
			must(err)
			_, err = x.update(u.ID, latch.UpdateUserParams{FirstName: &name})
			must(err)
			s1, err := x.session(u.ID)
			must(err)
			_, err = x.session(u.ID)
			must(err)
			must(x.revoke(s1.ID))
			must(x.revokeAll(u.ID))
			must(x.ban(u.ID))
			must(x.unban(u.ID))
			must(x.remove(u.ID))
			if _, err := x.update(u.ID, latch.UpdateUserParams{FirstName: &name}); !errors.Is(err, latch.ErrNotFound) {
				t.Errorf("updating a deleted user: %v", err)
			}
			if _, err := x.create(latch.CreateUserParams{EmailAddresses: []string{"not an address"}}); err == nil {
				t.Errorf("an invalid address was accepted")
			}
			return log.take()
		}
		want := run(t, auth, "ada@example.com")
		got := run(t, host, "bob@example.com")
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("Host emitted %v, Auth %v", got, want)
		}
	})
}

// TestImpersonationCarriesTheActor: a session a plugin creates for another
// user names the actor in its token, so every check and log can tell the
// admin from the user, and a user cannot impersonate themself.
func TestImpersonationCarriesTheActor(t *testing.T) {
	ctx := context.Background()
	p := &hookPlugin{}
	e := newFlowEnv(t, latch.Config{Plugins: []latch.Plugin{p}})
	admin, err := e.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"admin@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	ada, err := e.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	s, err := p.h.Impersonate(ctx, httptest.NewRecorder(), req, admin.ID, ada.ID)
	if err != nil || s.UserID != ada.ID || s.ActorID != admin.ID || s.Claims.Actor == nil || s.Claims.Actor.Subject != admin.ID {
		t.Fatalf("impersonation: %+v %v", s, err)
	}
	for name, actor := range map[string]string{"themself": ada.ID, "nobody": "", "unknown": "user_unknown"} {
		if _, err := p.h.Impersonate(ctx, httptest.NewRecorder(), req, actor, ada.ID); !errors.Is(err, latch.ErrImpersonationRefused) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := e.BanUser(ctx, admin.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.h.Impersonate(ctx, httptest.NewRecorder(), req, admin.ID, ada.ID); !errors.Is(err, latch.ErrImpersonationRefused) {
		t.Errorf("a banned actor: %v", err)
	}
}
