package latch

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
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
button.secondary{background:#fff;color:#2f3cff;border:1px solid #2f3cff}
form{margin:1rem 0}dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem 1rem;padding:.8rem 1rem;background:#f4f4f6;border-radius:.4rem}
dt{color:#555}dd{margin:0}.muted{color:#555}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Body}}</p>
{{with .From}}<dl class="requested-from"><dt>Device</dt><dd class="device">{{.Device}}</dd><dt>IP address</dt><dd class="ip">{{.IP}}</dd><dt>Time</dt><dd class="time">{{.At}}</dd></dl>{{end}}
{{if .Note}}<p class="muted">{{.Note}}</p>{{end}}
{{range .Buttons}}<form method="post" action="/v1/verify"><input type="hidden" name="token" value="{{$.Token}}">
{{if .Continue}}<input type="hidden" name="continue" value="{{.Continue}}">{{end}}
{{if .Confirm}}<p><label><input type="checkbox" name="confirm" value="yes" required> {{.Confirm}}</label></p>{{end}}
<button type="submit"{{if .Secondary}} class="secondary"{{end}}>{{.Label}}</button></form>{{end}}
</body></html>`))

type verifyPageData struct {
	Title, Body, Note, Token string
	From                     *requestedFrom
	Buttons                  []verifyButton
}

// verifyButton is one choice of the link page; Continue says which to the
// POST ("" in the browser that asked, "here" or "there" elsewhere), and
// Confirm, when set, is a box that must be ticked first.
type verifyButton struct {
	Label, Continue, Confirm string
	Secondary                bool
}

// requestedFrom is the browser that asked for a link, as its flow
// recorded it, shown where the link is opened in another one.
type requestedFrom struct{ Device, IP, At string }

// What the POST of a link page asks for.
const (
	continueHere  = "here"  // in the browser that opened the link, a flow of its own
	continueThere = "there" // let the browser that asked finish (SignInConfig.CrossDeviceLinks)
)

func (a *Auth) renderVerify(w http.ResponseWriter, status int, d verifyPageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = verifyPage.Execute(w, d)
}

// linkPurposes are the links the link page redeems.
var linkPurposes = []string{StrategyEmailLink, StrategyResetPasswordEmailLink, purposeSignUpLink}

// landing is a live link and the flow it belongs to, as the browser that
// opened it sees them.
type landing struct {
	v    *storage.Verification
	rec  *storage.Flow
	same bool // opened in the browser that asked for it
	// What the flow recorded of the browser that asked, and whom the link
	// is for.
	Device     string `json:"device"`
	IP         string `json:"ip"`
	Identifier string `json:"identifier"`
	Email      string `json:"email_address"`
}

// land reads, without spending it, the link tok names. ErrTokenInvalid
// when it is unknown, spent or expired, or its flow is gone or expired.
func (a *Auth) land(ctx context.Context, r *http.Request, tok string) (*landing, error) {
	v, err := a.findLink(ctx, tok, linkPurposes...)
	if err != nil {
		return nil, err
	}
	now := a.now()
	if !v.ConsumedAt.IsZero() || !now.Before(v.ExpiresAt) {
		return nil, ErrTokenInvalid
	}
	rec, err := a.store.GetFlow(ctx, v.FlowID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrTokenInvalid
	}
	if err != nil {
		return nil, storageError(err)
	}
	if !now.Before(rec.ExpiresAt) {
		return nil, ErrTokenInvalid
	}
	l := &landing{v: v, rec: rec}
	if err := json.Unmarshal(rec.Data, l); err != nil {
		return nil, ErrUnavailable.wrap(err)
	}
	client := a.requestClient(ctx, r)
	l.same = client != "" && subtle.ConstantTimeCompare([]byte(client), []byte(rec.ClientID)) == 1
	return l, nil
}

func (l *landing) from() *requestedFrom {
	f := &requestedFrom{Device: l.Device, IP: l.IP, At: l.v.CreatedAt.UTC().Format("15:04 MST, 2 January 2006")}
	if f.Device == "" {
		f.Device = "an unknown device"
	}
	if f.IP == "" {
		f.IP = "unknown"
	}
	return f
}

func (l *landing) who() string {
	if l.v.Purpose == purposeSignUpLink {
		return l.Email
	}
	return l.Identifier
}

func (a *Auth) serveVerifyPage(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	if tok == "" {
		a.renderVerify(w, http.StatusBadRequest, verifyPageData{Title: "Invalid link", Body: "This link is incomplete."})
		return
	}
	l, err := a.land(r.Context(), r, tok)
	if err != nil || l.same {
		// A dead link is told so when its button is pressed, like a
		// live one opened where it was asked for.
		a.renderVerify(w, http.StatusOK, verifyPageData{Title: "Continue to " + a.cfg.AppName,
			Body: "Press the button to continue. This link works once.", Token: tok, Buttons: []verifyButton{{Label: "Continue"}}})
		return
	}
	a.renderElsewhere(w, tok, l)
}

// renderElsewhere is the page of a link opened in another browser than
// the one that asked for it. It names the asking device, and offers to
// continue in this browser; a reset link only ever continues here. With
// SignInConfig.CrossDeviceLinks it also offers, behind a confirmation, to
// let the asking browser finish.
func (a *Auth) renderElsewhere(w http.ResponseWriter, tok string, l *landing) {
	d := verifyPageData{Token: tok, From: l.from()}
	switch l.v.Purpose {
	case StrategyResetPasswordEmailLink:
		d.Title = "Choose a new password"
		d.Body = "A password reset for " + l.who() + " was asked for from the device below. Continue to choose the new password in this browser."
		d.Note = "If you did not ask for it, close this page: your password has not changed."
		d.Buttons = []verifyButton{{Label: "Continue in this browser", Continue: continueHere}}
		a.renderVerify(w, http.StatusOK, d)
		return
	case purposeSignUpLink:
		d.Title = "This link was asked for on another device"
		d.Body = "Creating an account for " + l.who() + " was started on the device below, not in this browser. To finish there, open this link in that browser, or continue here."
		d.Note = "If that was not you, close this page: no account is created."
		d.Buttons = []verifyButton{{Label: "Continue in this browser", Continue: continueHere}}
	default:
		d.Title = "This link was asked for on another device"
		d.Body = "Signing in as " + l.who() + " was asked for from the device below, not from this browser. To sign in there, open this link in that browser, or continue here."
		d.Note = "If that was not you, close this page: nobody is signed in."
		d.Buttons = []verifyButton{{Label: "Continue in this browser", Continue: continueHere}}
	}
	if a.cfg.SignIn.CrossDeviceLinks {
		d.Buttons = append(d.Buttons, verifyButton{Label: "Continue on that device", Continue: continueThere, Secondary: true,
			Confirm: "I asked for this link from " + d.From.Device + " (IP " + d.From.IP + ") myself."})
	}
	a.renderVerify(w, http.StatusOK, d)
}

// serveVerify redeems a link. In the browser that asked for it, it
// finishes that browser's flow. Elsewhere nothing is spent until the
// person chooses: "here" spends the link on a flow of this browser's own
// (the mailbox was proved here, so this browser gets what it gives), and
// "there", only with SignInConfig.CrossDeviceLinks and a ticked
// confirmation, lets the asking browser finish. A reset link never
// finishes in the browser that asked for it unless it is also the one
// that opened it: that browser learns nothing of it.
func (a *Auth) serveVerify(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rq, w := a.drive(w, r)
	tok := r.PostFormValue("token")
	expired := func() {
		a.renderVerify(w, http.StatusGone, verifyPageData{Title: "This link has expired", Body: "Links work once and for 10 minutes. Ask for a new one."})
	}
	l, err := a.land(ctx, r, tok)
	if err != nil {
		expired()
		return
	}
	choice := r.PostFormValue("continue")
	switch {
	case l.same:
		choice = ""
	case l.v.Purpose == StrategyResetPasswordEmailLink:
		choice = continueHere
	case choice == continueThere && (!a.cfg.SignIn.CrossDeviceLinks || r.PostFormValue("confirm") != "yes"):
		choice = ""
	case choice != continueHere && choice != continueThere:
		choice = "" // "" finishes the asking browser's flow: only there
	}
	if !l.same && choice == "" {
		// Opened elsewhere and nothing chosen (or "there" unconfirmed):
		// say where the request came from, spend nothing.
		a.renderElsewhere(w, tok, l)
		return
	}
	v, err := a.consumeLink(ctx, tok, linkPurposes...)
	if err != nil {
		expired()
		return
	}
	var redirect string
	if v.Purpose == purposeSignUpLink {
		redirect, err = a.verifySignUpLink(ctx, rq, l.rec, choice)
	} else {
		redirect, err = a.verifySignInLink(ctx, rq, l.rec, v, choice)
	}
	switch {
	case err != nil:
		a.renderVerify(w, asError(err).Status, verifyPageData{Title: "Something went wrong", Body: asError(err).Message})
	case choice == continueThere:
		a.renderVerify(w, http.StatusOK, verifyPageData{Title: "Verified", Body: "Return to " + l.from().Device + ", where you started: it continues from there. You can close this page."})
	default:
		if redirect == "" {
			redirect = "/"
		}
		http.Redirect(w, r, redirect, http.StatusSeeOther)
	}
}

// verifySignInLink acts on a sign-in or reset link that was just spent:
// choice "" finishes the flow in the browser that asked (and opened it),
// "here" starts a flow of the opening browser's own, with the link's
// factor verified, and "there" marks the asking browser's flow verified.
func (a *Auth) verifySignInLink(ctx context.Context, rq *flowReq, rec *storage.Flow, v *storage.Verification, choice string) (string, error) {
	f := &flow[signInState]{rec: rec}
	if err := json.Unmarshal(rec.Data, &f.state); err != nil {
		return "", ErrUnavailable.wrap(err)
	}
	st := &f.state
	if rec.Status != SignInNeedsFirstFactor || st.First == nil || st.First.Strategy != v.Purpose || st.UserID == "" || st.UserID != v.UserID {
		return "", ErrFlowStep
	}
	switch choice {
	case continueThere:
		st.First.Status = factorVerified
		return "", f.save(ctx, a, SignInNeedsFirstFactor)
	case continueHere:
		here, err := newFlow(ctx, a, rq, flowKindSignIn, "sia", SignInNeedsFirstFactor, signInState{
			Identifier: st.Identifier, IdentifierKind: st.IdentifierKind, UserID: st.UserID, IdentifierID: st.IdentifierID, SendTo: st.SendTo,
			First:       &factorState{Strategy: v.Purpose, Status: factorVerified, IdentifierID: st.IdentifierID},
			RedirectURL: st.RedirectURL, Locale: rq.locale, Device: rq.device, IP: rq.ip})
		if err != nil {
			return "", err
		}
		f = here
	default:
		st.First.Status = factorVerified
	}
	if v.Purpose == StrategyResetPasswordEmailLink {
		_, err := a.needNewPassword(ctx, f)
		return a.signInPageURL(f.rec.ID, f.state.RedirectURL), err
	}
	si, err := a.afterFirstFactor(ctx, rq, f, []string{"otp"})
	if err == nil && si.Status != SignInComplete {
		// A second factor is next: on the sign-in page, not the app.
		a.askSecondFactor(ctx, rq, f.rec.ID)
		return a.signInPageURL(f.rec.ID, f.state.RedirectURL), nil
	}
	return f.state.RedirectURL, err
}

// signInPageURL is the hosted sign-in page of a sign-in in progress.
func (a *Auth) signInPageURL(id, redirect string) string {
	q := url.Values{"sign_in_id": {id}}
	if redirect != "" {
		q.Set("redirect_url", redirect)
	}
	return a.cfg.Session.SignInURL + "?" + q.Encode()
}

// verifySignUpLink acts on a sign-up's link that was just spent, as
// verifySignInLink does. "here" starts a sign-up of the opening browser's
// own with the address verified and nothing else: what the asking browser
// typed (a password above all) is not carried over, or someone who asked
// for a link to another's address would know the password of the account
// its owner created.
func (a *Auth) verifySignUpLink(ctx context.Context, rq *flowReq, rec *storage.Flow, choice string) (string, error) {
	f := &flow[signUpState]{rec: rec}
	if err := json.Unmarshal(rec.Data, &f.state); err != nil {
		return "", ErrUnavailable.wrap(err)
	}
	if rec.Status == SignUpComplete || f.state.Email == nil || a.inputOf(f.state.Email.Strategy, FirstFactor) != InputLink {
		return "", ErrFlowStep
	}
	switch choice {
	case continueThere:
		f.state.Email.Status = factorVerified
		return "", f.save(ctx, a, SignUpMissingRequirements)
	case continueHere:
		here, err := newFlow(ctx, a, rq, flowKindSignUp, "sua", SignUpMissingRequirements, signUpState{
			EmailAddress: f.state.EmailAddress, Email: &factorState{Strategy: f.state.Email.Strategy, Status: factorVerified},
			RedirectURL: f.state.RedirectURL, Locale: rq.locale, Device: rq.device, IP: rq.ip})
		if err != nil {
			return "", err
		}
		f = here
	default:
		f.state.Email.Status = factorVerified
	}
	su, err := a.continueSignUp(ctx, rq, f)
	switch {
	case err != nil:
		return "", err
	case su.SignInID != "":
		// A second factor is required: set it up on the sign-in page.
		a.askSecondFactor(ctx, rq, su.SignInID)
		return a.signInPageURL(su.SignInID, f.state.RedirectURL), nil
	case su.Status != SignUpComplete:
		// Fields are still missing (those typed elsewhere are not
		// carried over): the sign-up page asks for them.
		q := url.Values{"sign_up_id": {su.ID}}
		if f.state.RedirectURL != "" {
			q.Set("redirect_url", f.state.RedirectURL)
		}
		return a.cfg.Session.SignUpURL + "?" + q.Encode(), nil
	}
	return f.state.RedirectURL, nil
}
