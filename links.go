package latch

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
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

// What the POST of a link page asks for.
const (
	continueHere  = "here"  // in the browser that opened the link, a flow of its own
	continueThere = "there" // let the browser that asked finish (SignInConfig.CrossDeviceLinks)
)

// linkPurposes are the links the link page redeems.
var linkPurposes = []string{StrategyEmailLink, StrategyResetPasswordEmailLink, purposeSignUpLink}

// resetsPassword reports whether a link of purpose belongs to a strategy
// that resets a password: the browser that opens it sets the new password,
// and the one that asked never finishes.
func (a *Auth) resetsPassword(purpose string) bool {
	s := a.strategy(purpose, FirstFactor)
	return s != nil && s.Info().ResetsPassword
}

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

func (l *landing) who() string {
	if l.v.Purpose == purposeSignUpLink {
		return l.Email
	}
	return l.Identifier
}

func (a *Auth) serveVerifyPage(w http.ResponseWriter, r *http.Request) {
	t := a.verifyText(r)
	tok := r.URL.Query().Get("token")
	if tok == "" {
		a.renderVerify(w, r, http.StatusBadRequest, verifyPageData{Title: t("verify.invalid.title"), Body: t("verify.invalid.body")})
		return
	}
	l, err := a.land(r.Context(), r, tok)
	if err != nil || l.same {
		// A dead link is told so when its button is pressed, like a
		// live one opened where it was asked for.
		a.renderVerify(w, r, http.StatusOK, verifyPageData{Title: t("verify.continue.title", a.cfg.AppName),
			Body: t("verify.continue.body"), Token: tok, Buttons: []verifyButton{{Label: t("verify.continue.button")}}})
		return
	}
	a.renderElsewhere(w, r, tok, l)
}

// renderElsewhere is the page of a link opened in another browser than
// the one that asked for it. It names the asking device, and offers to
// continue in this browser; a reset link only ever continues here. With
// SignInConfig.CrossDeviceLinks it also offers, behind a confirmation, to
// let the asking browser finish.
func (a *Auth) renderElsewhere(w http.ResponseWriter, r *http.Request, tok string, l *landing) {
	t := a.verifyText(r)
	d := verifyPageData{Token: tok, From: l.from(t)}
	switch {
	case a.resetsPassword(l.v.Purpose):
		d.Title = t("verify.reset.title")
		d.Body = t("verify.reset.body", l.who())
		d.Note = t("verify.reset.note")
		d.Buttons = []verifyButton{{Label: t("verify.here.button"), Continue: continueHere}}
		a.renderVerify(w, r, http.StatusOK, d)
		return
	case l.v.Purpose == purposeSignUpLink:
		d.Title = t("verify.elsewhere.title")
		d.Body = t("verify.sign_up.body", l.who())
		d.Note = t("verify.sign_up.note")
		d.Buttons = []verifyButton{{Label: t("verify.here.button"), Continue: continueHere}}
	default:
		d.Title = t("verify.elsewhere.title")
		d.Body = t("verify.sign_in.body", l.who())
		d.Note = t("verify.sign_in.note")
		d.Buttons = []verifyButton{{Label: t("verify.here.button"), Continue: continueHere}}
	}
	if a.cfg.SignIn.CrossDeviceLinks {
		d.Buttons = append(d.Buttons, verifyButton{Label: t("verify.there.button"), Continue: continueThere, Secondary: true,
			Confirm: t("verify.there.confirm", d.From.Device, d.From.IP)})
	}
	a.renderVerify(w, r, http.StatusOK, d)
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
	t := a.verifyText(r)
	tok := r.PostFormValue("token")
	expired := func() {
		a.renderVerify(w, r, http.StatusGone, verifyPageData{Title: t("verify.expired.title"), Body: t("verify.expired.body")})
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
	case a.resetsPassword(l.v.Purpose):
		choice = continueHere
	case choice == continueThere && (!a.cfg.SignIn.CrossDeviceLinks || r.PostFormValue("confirm") != "yes"):
		choice = ""
	case choice != continueHere && choice != continueThere:
		choice = "" // "" finishes the asking browser's flow: only there
	}
	if !l.same && choice == "" {
		// Opened elsewhere and nothing chosen (or "there" unconfirmed):
		// say where the request came from, spend nothing.
		a.renderElsewhere(w, r, tok, l)
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
		a.renderVerify(w, r, asError(err).Status, verifyPageData{Title: t("verify.error.title"), Body: asError(err).Message})
	case choice == continueThere:
		a.renderVerify(w, r, http.StatusOK, verifyPageData{Title: t("verify.verified.title"), Body: t("verify.verified.body", l.from(t).Device)})
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
	if a.resetsPassword(v.Purpose) {
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
