package latch

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/latchauth/latch/components"
)

// The hosted reverification page, over the reverification machine.

// servePortalReverify shows the reverification page: the user's factors,
// or, with ?reverification_id, the chosen factor.
func (a *Auth) servePortalReverify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	a.renderReverifyFor(w, r, http.StatusOK, q.Get("reverification_id"), a.safeRedirect(q.Get("redirect_url")), nil)
}

// renderReverifyFor renders the page of reverification id (or the list of
// factors when there is none), with err.
func (a *Auth) renderReverifyFor(w http.ResponseWriter, r *http.Request, status int, id, redirect string, perr *Error) {
	ctx := r.Context()
	var v *Reverification
	if id != "" {
		if f, err := loadFlow[reverifyState](ctx, a, r, flowKindReverify, id); err == nil && f.state.SessionID == SessionFromContext(ctx).ID &&
			f.rec.Status == ReverificationNeedsFactor {
			v = a.reverifyView(f)
		}
	}
	if v == nil {
		// The list of factors, without a stored flow: GET changes nothing.
		st, err := a.reverifyStateFor(ctx, "", SessionFromContext(ctx).UserID)
		if err != nil {
			writeError(w, err)
			return
		}
		v = &Reverification{SupportedFactors: factorsOf(st.Factors), Level: "first_factor"}
		if st.Second {
			v.Level = "second_factor"
		}
	}
	loc := a.locale(r)
	p := components.ReverifyProps{Action: a.cfg.Session.ReverifyURL, CancelURL: redirect, Errors: errorsOf(perr),
		Hidden: map[string]string{}, ScriptURL: codeScriptPath, Branding: a.branding(), Locale: loc, Appearance: a.cfg.UI.Appearance}
	if p.CancelURL == "" {
		p.CancelURL = a.cfg.Session.ProfileURL
	}
	if redirect != "" {
		p.Hidden["redirect_url"] = redirect
	}
	if v.ID != "" {
		p.Hidden["reverification_id"] = v.ID
	}
	kind := FirstFactor
	if v.Level == "second_factor" {
		kind = SecondFactor
	}
	for _, f := range v.SupportedFactors {
		if key := a.strategyLabel(f.Strategy, kind); key != "" {
			p.Factors = append(p.Factors, components.StrategyOption{Strategy: f.Strategy, Label: components.T(loc, key)})
		}
	}
	if c := v.Verification; c != nil && c.Status == factorUnverified {
		p.Factor = a.factorForm(c, false)
		if a.inputOf(c.Strategy, kind) == InputPassword {
			p.Factor.Input = ""
		}
	}
	a.renderPage(w, r, status, components.T(loc, "reverify.title"), components.Reverify(p))
}

// servePortalReverifyPost handles the reverification page's forms.
func (a *Auth) servePortalReverifyPost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rq, w := a.drive(w, r)
	if err := r.ParseForm(); err != nil {
		writeError(w, ErrInvalid)
		return
	}
	form := r.PostForm
	redirect := a.safeRedirect(form.Get("redirect_url"))
	id := form.Get("reverification_id")
	strategy := form.Get("strategy")
	var (
		v   *Reverification
		err error
	)
	var f *flow[reverifyState]
	if id != "" {
		f, err = loadFlow[reverifyState](ctx, a, r, flowKindReverify, id)
	} else {
		if v, err = a.startReverification(ctx, rq, ReverifyParams{}); err == nil {
			id = v.ID
			f, err = readFlow[reverifyState](ctx, a, id)
		}
	}
	if err == nil {
		switch form.Get("intent") {
		case "use_strategy", "resend":
			if !f.state.Second && a.inputOf(strategy, FirstFactor) == InputPassword {
				// Nothing to send: show the password field.
				f.state.Current = &factorState{Strategy: strategy, Status: factorUnverified}
				err = f.save(ctx, a, ReverificationNeedsFactor)
				break
			}
			v, err = a.prepareReverification(ctx, rq, f, PrepareParams{Strategy: strategy})
		case "attempt":
			v, err = a.attemptReverification(ctx, rq, f, AttemptParams{Strategy: strategy, Code: form.Get("code"),
				Password: form.Get("password"), Credential: json.RawMessage(form.Get("credential"))})
		default:
			err = ErrInvalid
		}
	}
	if err != nil {
		le := asError(err)
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrFlowExpired) {
			id = ""
		}
		a.renderReverifyFor(w, r, le.Status, id, redirect, le)
		return
	}
	if v != nil && v.Status == ReverificationComplete {
		if redirect == "" {
			redirect = a.cfg.Session.ProfileURL
		}
		http.Redirect(w, r, redirect, http.StatusSeeOther)
		return
	}
	q := url.Values{"reverification_id": {id}}
	if redirect != "" {
		q.Set("redirect_url", redirect)
	}
	http.Redirect(w, r, a.cfg.Session.ReverifyURL+"?"+q.Encode(), http.StatusSeeOther)
}
