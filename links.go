package latch

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/latchauth/latch/storage"
)

// Purposes of link verifications.
const (
	purposeTicket     = "ticket"
	purposeSignUpLink = "sign_up_email_link"
)

// CreateSignInToken returns a single-use sign-in token for a user, valid for
// ttl (at most 30 days; default 1 hour), and a link that signs them in. The
// token replaces the first factor only: a user with a second factor must
// still pass it.
func (a *Auth) CreateSignInToken(ctx context.Context, userID string, ttl time.Duration) (tok, link string, err error) {
	if ttl <= 0 {
		ttl = time.Hour
	}
	if ttl > ticketMaxTTL {
		return "", "", ErrParamInvalid.WithField("expires_in").WithMessage("Sign-in tokens last at most 30 days.")
	}
	if _, err := a.store.GetUser(ctx, userID); err != nil {
		return "", "", storageError(err)
	}
	tok, err = a.newLink(ctx, a.store, purposeTicket, "", userID, "", ttl, nil)
	if err != nil {
		return "", "", err
	}
	return tok, a.link(a.cfg.Session.SignInURL + "?__latch_ticket=" + url.QueryEscape(tok)), nil
}

// checkRedirect accepts "" (no redirect), a path on this site ("/x", never
// "//x" or "/\x", which browsers read as another host), or an absolute URL
// whose origin is exactly one of Session.AuthorizedParties.
func (a *Auth) checkRedirect(raw string) error {
	if raw == "" {
		return nil
	}
	if AllowedRedirect(raw, a.cfg.Session.AuthorizedParties) {
		return nil
	}
	return ErrRedirectNotAllowed
}

// AllowedRedirect reports whether raw is a safe place to send a browser:
// a local path, or an absolute http(s) URL whose origin is exactly one of
// origins. It refuses what browsers parse differently from Go (back
// slashes, control characters and white space anywhere, userinfo, "//"
// at the start of a path), so that the origin it checks is the one a
// browser would go to.
func AllowedRedirect(raw string, origins []string) bool {
	if raw == "" || len(raw) > 2048 || strings.ContainsAny(raw, "\\\t\r\n \x00") {
		return false
	}
	for _, r := range raw {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	if strings.HasPrefix(raw, "/") {
		return !strings.HasPrefix(raw, "//") && !strings.Contains(raw, "%2f%2f") && !strings.Contains(strings.ToLower(raw), "%5c")
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Opaque != "" || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return false
	}
	origin := strings.ToLower(u.Scheme + "://" + u.Host)
	for _, o := range origins {
		if strings.ToLower(o) == origin {
			return true
		}
	}
	return false
}

// verifyPage is what a link opens. It changes nothing on GET (mail scanners
// open links too): a button posts the token back. It loads nothing from
// anywhere and sends no Referer, so the token leaks nowhere (SECURITY.md 15).
var verifyPage = template.Must(template.New("verify").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>{{.Title}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a}
button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:.4rem;background:#2f3cff;color:#fff;cursor:pointer}
.muted{color:#555}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Body}}</p>
{{if .Token}}<form method="post" action="/v1/verify"><input type="hidden" name="token" value="{{.Token}}">
<button type="submit">Continue</button></form>{{end}}
</body></html>`))

type verifyPageData struct{ Title, Body, Token string }

func (a *Auth) renderVerify(w http.ResponseWriter, status int, d verifyPageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_ = verifyPage.Execute(w, d)
}

func (a *Auth) serveVerifyPage(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	if tok == "" {
		a.renderVerify(w, http.StatusBadRequest, verifyPageData{Title: "Invalid link", Body: "This link is incomplete."})
		return
	}
	a.renderVerify(w, http.StatusOK, verifyPageData{Title: "Continue to " + a.cfg.AppName,
		Body: "Press the button to continue. This link works once.", Token: tok})
}

// serveVerify redeems a link. In the browser that started the flow it
// finishes the flow and redirects; elsewhere it marks the flow verified so
// the first browser can finish it, and says so.
func (a *Auth) serveVerify(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	tok := r.PostFormValue("token")
	v, err := a.consumeLink(ctx, tok, StrategyEmailLink, StrategyResetPasswordEmailLink, purposeSignUpLink)
	if err != nil {
		a.renderVerify(w, http.StatusGone, verifyPageData{Title: "This link has expired", Body: "Links work once and for 10 minutes. Ask for a new one."})
		return
	}
	rec, err := a.store.GetFlow(ctx, v.FlowID)
	if err != nil || !a.now().Before(rec.ExpiresAt) {
		a.renderVerify(w, http.StatusGone, verifyPageData{Title: "This link has expired", Body: "Start again from the page you came from."})
		return
	}
	sameBrowser := a.requestClient(ctx, r) == rec.ClientID
	var redirect string
	if v.Purpose == purposeSignUpLink {
		redirect, err = a.verifySignUpLink(ctx, w, r, rec, sameBrowser)
	} else {
		redirect, err = a.verifySignInLink(ctx, w, r, rec, v, sameBrowser)
	}
	switch {
	case err != nil:
		a.renderVerify(w, asError(err).Status, verifyPageData{Title: "Something went wrong", Body: asError(err).Message})
	case !sameBrowser:
		a.renderVerify(w, http.StatusOK, verifyPageData{Title: "Verified", Body: "Return to the window where you started: it continues from there. You can close this one."})
	default:
		if redirect == "" {
			redirect = "/"
		}
		http.Redirect(w, r, redirect, http.StatusSeeOther)
	}
}

func (a *Auth) verifySignInLink(ctx context.Context, w http.ResponseWriter, r *http.Request, rec *storage.Flow, v *storage.Verification, same bool) (string, error) {
	f := &flow[signInState]{rec: rec}
	if err := json.Unmarshal(rec.Data, &f.state); err != nil {
		return "", ErrUnavailable.wrap(err)
	}
	st := &f.state
	if rec.Status != SignInNeedsFirstFactor || st.First == nil || st.First.Strategy != v.Purpose || st.UserID == "" || st.UserID != v.UserID {
		return "", ErrFlowStep
	}
	st.First.Status = factorVerified
	if !same {
		return "", f.save(ctx, a, SignInNeedsFirstFactor)
	}
	var err error
	if v.Purpose == StrategyResetPasswordEmailLink {
		_, err = a.needNewPassword(ctx, f)
		return a.cfg.Session.SignInURL + "?sign_in_id=" + rec.ID, err
	}
	si, err := a.afterFirstFactor(ctx, w, r, f, []string{"otp"})
	if err == nil && si.Status != SignInComplete {
		// A second factor is next: on the sign-in page, not the app.
		a.askSecondFactor(ctx, w, r, rec.ID)
		return a.signInPageURL(rec.ID, st.RedirectURL), nil
	}
	return st.RedirectURL, err
}

// signInPageURL is the hosted sign-in page of a sign-in in progress.
func (a *Auth) signInPageURL(id, redirect string) string {
	q := url.Values{"sign_in_id": {id}}
	if redirect != "" {
		q.Set("redirect_url", redirect)
	}
	return a.cfg.Session.SignInURL + "?" + q.Encode()
}

func (a *Auth) verifySignUpLink(ctx context.Context, w http.ResponseWriter, r *http.Request, rec *storage.Flow, same bool) (string, error) {
	f := &flow[signUpState]{rec: rec}
	if err := json.Unmarshal(rec.Data, &f.state); err != nil {
		return "", ErrUnavailable.wrap(err)
	}
	if rec.Status == SignUpComplete || f.state.Email == nil || f.state.Email.Strategy != StrategyEmailLink {
		return "", ErrFlowStep
	}
	f.state.Email.Status = factorVerified
	if !same {
		return "", f.save(ctx, a, SignUpMissingRequirements)
	}
	su, err := a.continueSignUp(ctx, w, r, f)
	if err == nil && su.SignInID != "" {
		// A second factor is required: set it up on the sign-in page.
		a.askSecondFactor(ctx, w, r, su.SignInID)
		return a.signInPageURL(su.SignInID, f.state.RedirectURL), nil
	}
	return f.state.RedirectURL, err
}
