package latch

import (
	"net/http"
	"slices"

	"github.com/latchauth/latch/components"
)

// The hosted sign-up page, over the sign-up machine.

// signUpPage is what the sign-up page shows.
type signUpPage struct {
	Step     string // form, verify, link_sent
	SignUpID string
	Values   map[string]string
	Err      *Error
	Redirect string
	Ticket   string
	PoW      string // the proof-of-work challenge, when sign-up asks for one
	Verify   string // the field being verified: email_address or phone_number
	Resent   bool   // a new code or link was just sent
	// SignedInAs is the browser's signed-in account, when adding another.
	SignedInAs string
}

func (a *Auth) servePortalSignUp(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := signUpPage{Step: "form", Redirect: q.Get("redirect_url"), Ticket: q.Get("ticket"), Values: map[string]string{}}
	p.Redirect = a.safeRedirect(p.Redirect)
	if q.Get("sign_up_id") == "" && p.Ticket == "" {
		// As on the sign-in page: a signed-in browser goes on, unless it
		// may add an account.
		if a.sendOnIfSignedIn(w, r, p.Redirect) {
			return
		}
		p.SignedInAs = a.signedInAs(r)
	}
	if id := q.Get("sign_up_id"); id != "" {
		if f, err := loadFlow[signUpState](r.Context(), a, r, flowKindSignUp, id); err == nil {
			a.fillSignUpPage(&p, a.signUpView(f))
			p.Resent = q.Get(resentParam) != ""
		}
	}
	a.renderSignUp(w, r, http.StatusOK, p)
}

func (a *Auth) fillSignUpPage(p *signUpPage, s *SignUp) {
	p.SignUpID = s.ID
	p.Values = map[string]string{fieldEmail: s.EmailAddress, fieldPhone: s.PhoneNumber, fieldUsername: s.Username, fieldFirst: s.FirstName, fieldLast: s.LastName}
	p.Step = "form"
	if len(s.MissingFields) == 0 && len(s.UnverifiedFields) > 0 {
		p.Verify = s.UnverifiedFields[0]
		p.Step = "verify"
		if v := s.Verifications[p.Verify]; v != nil && a.inputOf(v.Strategy, FirstFactor) == InputLink {
			p.Step = "link_sent"
		}
	}
}

// servePortalSignUpPost handles the sign-up page's forms: the fields
// (intent "sign_up"), the code ("verify") and resending it ("resend").
func (a *Auth) servePortalSignUpPost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rq, w := a.drive(w, r)
	if err := r.ParseForm(); err != nil {
		writeError(w, ErrInvalid)
		return
	}
	form := r.PostForm
	redirect := a.safeRedirect(form.Get("redirect_url"))
	p := signUpPage{Step: "form", Redirect: redirect, Ticket: form.Get("ticket"), Values: map[string]string{}}
	for _, k := range []string{fieldEmail, fieldPhone, fieldUsername, fieldFirst, fieldLast} {
		p.Values[k] = form.Get(k)
	}
	var s *SignUp
	var err error
	intent := form.Get("intent")
	if intent == "sign_up" && form.Get("sign_up_id") == "" {
		var sp SignUpParams
		if err = decode(w, r, &sp); err == nil {
			sp.RedirectURL = redirect
			for k, dst := range map[string]**string{fieldEmail: &sp.EmailAddress, fieldPhone: &sp.PhoneNumber, fieldUsername: &sp.Username, fieldFirst: &sp.FirstName, fieldLast: &sp.LastName, fieldPassword: &sp.Password} {
				if form.Get(k) == "" {
					*dst = nil // an empty field is a field not given
				}
			}
			s, err = a.startSignUp(ctx, rq, sp)
		}
	} else {
		var f *flow[signUpState]
		if f, err = loadFlow[signUpState](ctx, a, r, flowKindSignUp, form.Get("sign_up_id")); err == nil {
			a.fillSignUpPage(&p, a.signUpView(f))
			switch intent {
			case "sign_up":
				var sp SignUpParams
				if err = decode(w, r, &sp); err == nil {
					s, err = a.updateSignUp(ctx, rq, f, sp)
				}
			case "verify":
				s, err = a.attemptSignUpVerification(ctx, rq, f, proofsOf(form, a.verifyStrategy(fieldKind(p.Verify))))
			case "resend":
				s, err = a.prepareSignUpVerification(ctx, rq, f, PrepareParams{Strategy: a.verifyStrategy(fieldKind(p.Verify))})
			default:
				err = ErrInvalid
			}
		}
	}
	if err == nil && s.Status != SignUpComplete && len(s.MissingFields) == 0 && len(s.UnverifiedFields) > 0 && intent == "sign_up" {
		// Everything is filled in: send the code at once. The flow was
		// made by this request, whose browser may not carry its client
		// cookie yet, so it is read without the browser check.
		var f *flow[signUpState]
		if f, err = readFlow[signUpState](ctx, a, s.ID); err == nil {
			s, err = a.prepareSignUpVerification(ctx, rq, f, PrepareParams{Strategy: a.verifyStrategy(fieldKind(s.UnverifiedFields[0]))})
		}
	}
	if err != nil {
		le := asError(err)
		p.Err = le
		a.renderSignUp(w, r, le.Status, p)
		return
	}
	if s.SignInID != "" {
		// A second factor is required: set one up on the sign-in page,
		// starting with the first the plugins offer.
		a.askSecondFactor(ctx, rq, s.SignInID)
		a.afterStep(w, r, false, a.cfg.Session.SignInURL, "sign_in_id", s.SignInID, redirect, false)
		return
	}
	a.afterStep(w, r, s.Status == SignUpComplete, a.cfg.Session.SignUpURL, "sign_up_id", s.ID, redirect, intent == "resend")
}

func (a *Auth) renderSignUp(w http.ResponseWriter, r *http.Request, status int, p signUpPage) {
	loc := a.locale(r)
	req, opt := a.signUpFields()
	hidden := map[string]string{}
	if p.SignUpID != "" {
		hidden["sign_up_id"] = p.SignUpID
	}
	if p.Redirect != "" {
		hidden["redirect_url"] = p.Redirect
	}
	if p.Ticket != "" {
		hidden["ticket"] = p.Ticket
	}
	fields, legal := append(append([]string(nil), req...), opt...), a.cfg.SignUp.LegalConsent
	if p.SignUpID != "" {
		if f, err := readFlow[signUpState](r.Context(), a, p.SignUpID); err == nil && f.state.Identity != nil {
			// A sign-up that a provider's identity started asks only for
			// what the identity lacks.
			missing := a.missingFields(&f.state)
			fields = slices.DeleteFunc(fields, func(k string) bool { return !slices.Contains(missing, k) })
			legal = legal && slices.Contains(missing, fieldLegal)
		}
	}
	props := components.SignUpProps{Step: p.Step, Action: a.cfg.Session.SignUpURL, Fields: fields,
		Optional: opt, Values: p.Values, Legal: legal, TermsURL: a.cfg.UI.TermsURL, PrivacyURL: a.cfg.UI.PrivacyURL,
		VerifyField: p.Verify, Identifier: p.Values[p.Verify], Errors: errorsOf(p.Err), Hidden: hidden, SignInURL: a.cfg.Session.SignInURL,
		ScriptURL: codeScriptPath, Branding: a.branding(), Locale: loc, Appearance: a.cfg.UI.Appearance}
	if p.Resent && p.Err == nil {
		props.Notice = components.T(loc, "common.code_sent")
		if p.Step == components.StepLinkSent {
			props.Notice = components.T(loc, "signin.link_sent.resent")
		}
	}
	if p.SignedInAs != "" && (p.Step == "" || p.Step == components.StepForm) {
		props.SignedInAs, props.ContinueURL = p.SignedInAs, "/"
		if p.Redirect != "" {
			props.ContinueURL = p.Redirect
		}
	}
	if (p.Step == "" || p.Step == components.StepForm) && p.SignUpID == "" && p.Ticket == "" {
		props.Strategies, props.StrategyAction = a.redirectStrategies(loc), a.cfg.Session.SignInURL
		if p.Redirect != "" {
			props.StrategyHidden = map[string]string{"redirect_url": p.Redirect}
		}
	}
	if b := a.cfg.Protection.Bot; p.Step == components.StepForm && p.SignUpID == "" && !b.Disabled && b.Verifier == nil {
		if c, err := a.pow.Challenge(); err == nil {
			props.PoWChallenge, props.PoWScriptURL = c.Value, "/v1/pow.js"
		}
	}
	a.renderPage(w, r, status, components.T(loc, "signup.title_plain"), components.SignUp(props))
}
