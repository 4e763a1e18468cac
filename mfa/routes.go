package mfa

import (
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/components"
)

// routes lists the JSON API and the account page's form routes, all for
// the signed-in user.
func (p *Plugin) routes() []latch.Route {
	h := p.h
	rs := []latch.Route{
		{Method: "GET", Pattern: "/v1/me/mfa", Handler: p.serveStatus},
		{Method: "POST", Pattern: "/v1/me/totp", Handler: p.change(p.serveTOTPBegin)},
		{Method: "POST", Pattern: "/v1/me/totp/attempt_verification", Handler: p.change(p.serveTOTPVerify)},
		{Method: "DELETE", Pattern: "/v1/me/totp", Handler: p.change(p.serveTOTPDelete)},
		{Method: "POST", Pattern: "/v1/me/backup_codes", Handler: p.change(p.serveBackupCodes)},
	}
	for _, c := range []*CodeFactor{p.phone, p.email} {
		if c == nil {
			continue
		}
		path := codeFactorPath(c)
		rs = append(rs,
			latch.Route{Method: "POST", Pattern: path, Handler: p.change(func(w http.ResponseWriter, r *http.Request, s *latch.Session) {
				err := p.setCodeFactor(r.Context(), r, s, c, true)
				h.Respond(w, map[string]bool{"enabled": true}, err)
			})},
			latch.Route{Method: "DELETE", Pattern: path, Handler: p.change(func(w http.ResponseWriter, r *http.Request, s *latch.Session) {
				err := p.setCodeFactor(r.Context(), r, s, c, false)
				h.Respond(w, map[string]bool{"enabled": false}, err)
			})})
	}
	return append(rs, p.pageRoutes()...)
}

// openAPI documents every route the plugin may serve.
//
//go:embed openapi.json
var openAPI []byte

// openAPIFragment documents the routes this configuration serves: those
// of the code factors only for the factors that are on.
func (p *Plugin) openAPIFragment() ([]byte, error) {
	var doc struct {
		Paths      map[string]json.RawMessage `json:"paths"`
		Components json.RawMessage            `json:"components"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		return nil, err
	}
	on := map[string]bool{}
	for _, c := range []*CodeFactor{p.phone, p.email} {
		if c != nil {
			on[codeFactorPath(c)] = true
		}
	}
	for path := range doc.Paths {
		if strings.HasPrefix(path, codeFactorPath(nil)) && !on[path] {
			delete(doc.Paths, path)
		}
	}
	return json.Marshal(doc)
}

// codeFactorPath is the route that turns c on and off; with nil, the
// prefix of those routes.
func codeFactorPath(c *CodeFactor) string {
	if c == nil {
		return "/v1/me/mfa/"
	}
	return "/v1/me/mfa/" + c.Info().Name
}

// change wraps the handler of a change to the user's second factors: it
// must be the user themselves (not an administrator acting as them), who
// verified a factor within latch.ReverificationWindow.
func (p *Plugin) change(next func(http.ResponseWriter, *http.Request, *latch.Session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := latch.SessionFromContext(r.Context())
		if s == nil {
			p.h.Respond(w, nil, latch.ErrSignedOut)
			return
		}
		if s.ActorID != "" {
			// Impersonation is for seeing what the user sees; weakening or
			// replacing their second factor is not part of it.
			p.h.Respond(w, nil, latch.ErrForbidden)
			return
		}
		if !p.h.Reverified(w, r, latch.ReverificationWindow) {
			return
		}
		next(w, r, s)
	}
}

// attempt is the Attempt of a request of the signed-in user to manage
// their own factors.
func (p *Plugin) attempt(r *http.Request, s *latch.Session) *latch.Attempt {
	return &latch.Attempt{Purpose: latch.PurposeEnrollment, UserID: s.UserID,
		Locale: components.T(p.h.Locale(r), "meta.lang"), Request: r}
}

// Status is the answer of GET /v1/me/mfa: which second factors the user
// has, and whether a policy requires one.
type Status struct {
	// TOTP says an authenticator app is set up.
	TOTP bool `json:"totp"`
	// BackupCodesRemaining is how many backup codes are unused.
	BackupCodesRemaining int `json:"backup_codes_remaining"`
	// PhoneCode and EmailCode say codes by text or email are on; they are
	// present only when the application offers them.
	PhoneCode *bool `json:"phone_code,omitempty"`
	EmailCode *bool `json:"email_code,omitempty"`
	// Required says a policy requires the user to have a second factor.
	Required bool `json:"required"`
}

// Status returns the second factors of userID.
func (p *Plugin) Status(ctx context.Context, userID string) (*Status, error) {
	var st Status
	var err error
	if st.TOTP, err = p.totp.Enrolled(ctx, userID); err != nil {
		return nil, err
	}
	if st.BackupCodesRemaining, err = p.backup.Remaining(ctx, userID); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		f   *CodeFactor
		dst **bool
	}{{p.phone, &st.PhoneCode}, {p.email, &st.EmailCode}} {
		if c.f == nil {
			continue
		}
		on, err := c.f.Enrolled(ctx, userID)
		if err != nil {
			return nil, err
		}
		*c.dst = &on
	}
	u, err := p.h.Store().GetUser(ctx, userID)
	if err != nil {
		return nil, storageErr(err)
	}
	if st.Required, err = p.h.SecondFactorRequired(ctx, u); err != nil {
		return nil, err
	}
	return &st, nil
}

func (p *Plugin) serveStatus(w http.ResponseWriter, r *http.Request) {
	st, err := p.Status(r.Context(), latch.SessionFromContext(r.Context()).UserID)
	p.h.Respond(w, st, err)
}

// totpBegun is the answer of POST /v1/me/totp.
type totpBegun struct {
	ID string `json:"id"`
	Enrollment
}

func (p *Plugin) serveTOTPBegin(w http.ResponseWriter, r *http.Request, s *latch.Session) {
	e, err := p.totp.Begin(r.Context(), p.attempt(r, s))
	if err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	p.h.Respond(w, totpBegun{ID: e.ID, Enrollment: *e}, nil)
}

// codeParams is the body of the routes that take a code.
type codeParams struct {
	Code string `json:"code"`
}

// totpVerified is the answer of POST /v1/me/totp/attempt_verification.
type totpVerified struct {
	Verified bool `json:"verified"`
	// BackupCodes are made when the user had none, and shown only here.
	BackupCodes []string `json:"backup_codes,omitempty"`
}

func (p *Plugin) serveTOTPVerify(w http.ResponseWriter, r *http.Request, s *latch.Session) {
	var body codeParams
	if err := p.h.Decode(w, r, &body); err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	codes, err := p.finishTOTP(r.Context(), w, r, s, body.Code)
	p.h.Respond(w, totpVerified{Verified: true, BackupCodes: codes}, err)
}

// finishTOTP completes the set-up begun from the account, marks the session
// as having verified a second factor (it just did), and returns the backup
// codes FinishEnrollment made when the user had none left.
func (p *Plugin) finishTOTP(ctx context.Context, w http.ResponseWriter, r *http.Request, s *latch.Session, code string) ([]string, error) {
	proof, err := p.totp.FinishEnrollment(ctx, p.attempt(r, s), latch.AttemptParams{Strategy: StrategyTOTP, Code: code})
	if err != nil {
		return nil, err
	}
	if err := p.h.MarkSecondFactor(ctx, w, s); err != nil {
		return nil, err
	}
	return proof.BackupCodes, nil // made when the user had none
}

func (p *Plugin) serveTOTPDelete(w http.ResponseWriter, r *http.Request, s *latch.Session) {
	err := p.RemoveTOTP(r.Context(), p.attempt(r, s))
	p.h.Respond(w, map[string]bool{"deleted": true}, err)
}

// RemoveTOTP removes at.UserID's authenticator app (or the set-up in
// progress), unless a policy requires a second factor and it is their last
// one. Backup codes go with it when no other second factor is left, since
// they would otherwise become the second factor themselves.
func (p *Plugin) RemoveTOTP(ctx context.Context, at *latch.Attempt) error {
	s, err := p.h.Store().GetTOTPSecret(ctx, at.UserID)
	if err != nil {
		return storageErr(err)
	}
	verified := !s.VerifiedAt.IsZero()
	others, err := p.h.OtherSecondFactors(ctx, at.UserID, StrategyTOTP)
	if err != nil {
		return err
	}
	if verified && len(others) == 0 {
		if err := p.mayRemoveLast(ctx, at.UserID); err != nil {
			return err
		}
	}
	err = p.h.InTx(ctx, func(t *latch.Tx) error {
		if err := t.DeleteTOTPSecret(ctx, at.UserID); err != nil {
			return storageErr(err)
		}
		if !verified {
			return nil
		}
		if len(others) == 0 {
			if err := t.ReplaceBackupCodes(ctx, at.UserID, nil); err != nil {
				return storageErr(err)
			}
		}
		return t.Emit(ctx, EventFactorRemoved, at.UserID, factorEvent{UserID: at.UserID, Strategy: StrategyTOTP})
	})
	if err != nil || !verified {
		return err
	}
	p.notify(ctx, at, latch.MessageFactorRemoved, p.text(at, "mfa.notify.totp"))
	return nil
}

// mayRemoveLast refuses to remove the user's last second factor when a
// policy requires one.
func (p *Plugin) mayRemoveLast(ctx context.Context, userID string) error {
	u, err := p.h.Store().GetUser(ctx, userID)
	if err != nil {
		return storageErr(err)
	}
	required, err := p.h.SecondFactorRequired(ctx, u)
	if err != nil {
		return err
	}
	if required {
		return ErrLastSecondFactor
	}
	return nil
}

// backupCodesMade is the answer of POST /v1/me/backup_codes.
type backupCodesMade struct {
	BackupCodes []string `json:"backup_codes"`
}

func (p *Plugin) serveBackupCodes(w http.ResponseWriter, r *http.Request, s *latch.Session) {
	codes, err := p.regenerate(r.Context(), s.UserID)
	p.h.Respond(w, backupCodesMade{BackupCodes: codes}, err)
}

// regenerate makes a new set of backup codes for a user who has another
// second factor.
func (p *Plugin) regenerate(ctx context.Context, userID string) ([]string, error) {
	others, err := p.h.OtherSecondFactors(ctx, userID, "")
	if err != nil {
		return nil, err
	}
	if len(others) == 0 {
		return nil, ErrNeedsAnotherFactor
	}
	return p.backup.Generate(ctx, userID)
}
