package latch

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/latchauth/latch/storage"
)

// Sign-up statuses.
const (
	SignUpMissingRequirements = "missing_requirements"
	SignUpComplete            = "complete"
)

// Sign-up fields, as named in required_fields, missing_fields and
// unverified_fields.
const (
	fieldEmail    = "email_address"
	fieldPhone    = "phone_number"
	fieldUsername = "username"
	fieldPassword = "password"
	fieldFirst    = "first_name"
	fieldLast     = "last_name"
	fieldLegal    = "legal_accepted"
)

// signUpState is what a stored sign-up remembers; SignUp is its view.
type signUpState struct {
	EmailAddress   string          `json:"email_address,omitempty"`
	PhoneNumber    string          `json:"phone_number,omitempty"`
	Username       string          `json:"username,omitempty"`
	FirstName      string          `json:"first_name,omitempty"`
	LastName       string          `json:"last_name,omitempty"`
	PasswordHash   string          `json:"password_hash,omitempty"`
	LegalAccepted  bool            `json:"legal_accepted,omitempty"`
	UnsafeMetadata json.RawMessage `json:"unsafe_metadata,omitempty"`
	Email          *factorState    `json:"email,omitempty"`
	Phone          *factorState    `json:"phone,omitempty"`
	UserID         string          `json:"user_id,omitempty"`
	SessionID      string          `json:"session_id,omitempty"`
	SignInID       string          `json:"sign_in_id,omitempty"` // the sign-in that sets up a required second factor
	RedirectURL    string          `json:"redirect_url,omitempty"`
	Locale         string          `json:"locale,omitempty"`
	// InvitationID is the invitation the sign-up started with, spent in
	// the transaction that creates the account (its link's verification
	// is Email.VerificationID).
	InvitationID string `json:"invitation_id,omitempty"`
	// Device and IP are the browser that started the sign-up, named in
	// its link's mail and shown where the link is opened elsewhere.
	Device string `json:"device,omitempty"`
	IP     string `json:"ip,omitempty"`
	// Identity is the account at an outside provider a sign-in proved
	// and transferred here: the user is created with it linked, needs no
	// password, and signs in with AMR.
	Identity *Identity `json:"identity,omitempty"`
	AMR      []string  `json:"amr,omitempty"`
}

// SignUp is a sign-up in progress, as the JSON API returns it.
type SignUp struct {
	ID               string                   `json:"id"`
	Object           string                   `json:"object"`
	Status           string                   `json:"status"`
	RequiredFields   []string                 `json:"required_fields"`
	OptionalFields   []string                 `json:"optional_fields"`
	MissingFields    []string                 `json:"missing_fields"`
	UnverifiedFields []string                 `json:"unverified_fields"`
	Verifications    map[string]*Verification `json:"verifications"`
	EmailAddress     string                   `json:"email_address,omitempty"`
	PhoneNumber      string                   `json:"phone_number,omitempty"`
	Username         string                   `json:"username,omitempty"`
	FirstName        string                   `json:"first_name,omitempty"`
	LastName         string                   `json:"last_name,omitempty"`
	PasswordEnabled  bool                     `json:"password_enabled"`
	CreatedUserID    string                   `json:"created_user_id,omitempty"`
	CreatedSessionID string                   `json:"created_session_id,omitempty"`
	// SignInID, when a policy requires a second factor, is the sign-in
	// (status needs_second_factor, second_factor_enrollment) in which the
	// new user sets one up; no session exists until then.
	SignInID string    `json:"sign_in_id,omitempty"`
	ExpireAt time.Time `json:"expire_at"`
	NativeTokens
}

func (s *SignUp) createdSession() string { return s.CreatedSessionID }

// SignUpParams sets sign-up fields; nil fields are left as they are.
type SignUpParams struct {
	BotToken       string          `json:"bot_token"` // a solved proof of work or CAPTCHA token
	Ticket         string          `json:"ticket"`    // an invitation token: verifies its address, and is required when sign-up is restricted
	EmailAddress   *string         `json:"email_address"`
	PhoneNumber    *string         `json:"phone_number"`
	Username       *string         `json:"username"`
	FirstName      *string         `json:"first_name"`
	LastName       *string         `json:"last_name"`
	Password       *string         `json:"password"`
	LegalAccepted  *bool           `json:"legal_accepted"`
	UnsafeMetadata json.RawMessage `json:"unsafe_metadata"`
	RedirectURL    string          `json:"redirect_url"`
}

// fields returns the required and optional sign-up fields.
func (a *Auth) signUpFields() (required, optional []string) {
	c := a.cfg.SignUp
	add := func(r Requirement, names ...string) {
		switch r {
		case Required:
			required = append(required, names...)
		case Optional:
			optional = append(optional, names...)
		}
	}
	add(c.EmailAddress, fieldEmail)
	add(c.PhoneNumber, fieldPhone)
	add(c.Username, fieldUsername)
	add(c.Password, fieldPassword)
	add(c.Names, fieldFirst, fieldLast)
	if c.LegalConsent {
		required = append(required, fieldLegal)
	}
	return
}

func (a *Auth) signUpView(f *flow[signUpState]) *SignUp {
	st := f.state
	req, opt := a.signUpFields()
	v := &SignUp{ID: f.rec.ID, Object: "sign_up_attempt", Status: f.rec.Status, RequiredFields: req, OptionalFields: opt,
		MissingFields: a.missingFields(&st), UnverifiedFields: unverifiedFields(&st), Verifications: map[string]*Verification{},
		EmailAddress: st.EmailAddress, PhoneNumber: st.PhoneNumber, Username: st.Username, FirstName: st.FirstName,
		LastName: st.LastName, PasswordEnabled: st.PasswordHash != "", CreatedUserID: st.UserID, CreatedSessionID: st.SessionID, SignInID: st.SignInID,
		ExpireAt: f.rec.ExpiresAt}
	if st.Email != nil {
		v.Verifications[fieldEmail] = verificationView(st.Email)
	}
	if st.Phone != nil {
		v.Verifications[fieldPhone] = verificationView(st.Phone)
	}
	return v
}

func (a *Auth) missingFields(st *signUpState) []string {
	req, _ := a.signUpFields()
	missing := []string{}
	for _, f := range req {
		var have bool
		switch f {
		case fieldEmail:
			have = st.EmailAddress != ""
		case fieldPhone:
			have = st.PhoneNumber != ""
		case fieldUsername:
			have = st.Username != ""
		case fieldPassword:
			have = st.PasswordHash != "" || st.Identity != nil
		case fieldFirst:
			have = st.FirstName != ""
		case fieldLast:
			have = st.LastName != ""
		case fieldLegal:
			have = st.LegalAccepted
		}
		if !have {
			missing = append(missing, f)
		}
	}
	return missing
}

func unverifiedFields(st *signUpState) []string {
	out := []string{}
	if st.EmailAddress != "" && (st.Email == nil || st.Email.Status != factorVerified) {
		out = append(out, fieldEmail)
	}
	if st.PhoneNumber != "" && (st.Phone == nil || st.Phone.Status != factorVerified) {
		out = append(out, fieldPhone)
	}
	return out
}

// startSignUp creates a sign-up for the browser of r with the fields of p.
func (a *Auth) startSignUp(ctx context.Context, rq *flowReq, p SignUpParams) (*SignUp, error) {
	if err := a.checkRedirect(p.RedirectURL); err != nil {
		return nil, err
	}
	if err := a.limit(ctx, ErrRateLimited, limitCheck{"signup:" + rq.ip, a.cfg.Protection.Limits.SignUpsPerIP}); err != nil {
		return nil, err
	}
	if err := a.checkBot(ctx, rq.r, p.BotToken, false); err != nil {
		return nil, err
	}
	st := signUpState{Locale: rq.locale, RedirectURL: p.RedirectURL, Device: rq.device, IP: rq.ip}
	if p.Ticket != "" {
		// The invitation is checked now and spent with the account, so
		// that a sign-up refused on the way can be retried with it.
		inv, v, err := a.checkInvitation(ctx, p.Ticket)
		if err != nil {
			return nil, err
		}
		st.EmailAddress, st.InvitationID = inv.EmailAddress, inv.ID
		st.Email = &factorState{Strategy: StrategyTicket, Status: factorVerified, VerificationID: v.ID}
		p.EmailAddress = nil // the invitation's address, proved by its link
	} else if a.cfg.SignUp.Mode != SignUpPublic {
		return nil, ErrSignUpRestricted
	}
	if err := a.applySignUp(ctx, &st, p); err != nil {
		return nil, err
	}
	f, err := newFlow(ctx, a, rq, flowKindSignUp, "sua", SignUpMissingRequirements, st)
	if err != nil {
		return nil, err
	}
	return a.continueSignUp(ctx, rq, f)
}

// updateSignUp changes fields of a sign-up in progress.
func (a *Auth) updateSignUp(ctx context.Context, rq *flowReq, f *flow[signUpState], p SignUpParams) (*SignUp, error) {
	if f.rec.Status == SignUpComplete {
		return nil, ErrFlowStep
	}
	if err := a.applySignUp(ctx, &f.state, p); err != nil {
		return nil, err
	}
	return a.continueSignUp(ctx, rq, f)
}

// applySignUp validates and sets the fields of p. A changed address loses
// its verification.
func (a *Auth) applySignUp(ctx context.Context, st *signUpState, p SignUpParams) error {
	allowed := func(r Requirement, field string) error {
		if r == Off {
			return ErrParamInvalid.WithField(field).WithMessage("This field is not used here.")
		}
		return nil
	}
	c := a.cfg.SignUp
	if p.EmailAddress != nil {
		if err := allowed(c.EmailAddress, fieldEmail); err != nil {
			return err
		}
		v, e := normalizeEmail(*p.EmailAddress)
		if e != nil {
			return e
		}
		if err := a.screenIdentifier(storage.KindEmailAddress, v); err != nil {
			return err
		}
		if st.InvitationID != "" && v != st.EmailAddress {
			// An invitation is for its address only.
			return ErrParamInvalid.WithField(fieldEmail).WithMessage("This invitation is for another email address.")
		}
		if v != st.EmailAddress {
			st.EmailAddress, st.Email = v, nil
		}
	}
	if p.PhoneNumber != nil {
		if err := allowed(c.PhoneNumber, fieldPhone); err != nil {
			return err
		}
		v, e := normalizePhone(*p.PhoneNumber)
		if e != nil {
			return e
		}
		if err := a.screenIdentifier(storage.KindPhoneNumber, v); err != nil {
			return err
		}
		if v != st.PhoneNumber {
			st.PhoneNumber, st.Phone = v, nil
		}
	}
	if p.Username != nil {
		if err := allowed(c.Username, fieldUsername); err != nil {
			return err
		}
		if e := validUsername(*p.Username); e != nil {
			return e
		}
		// Usernames are public handles: saying one is taken reveals
		// nothing that its profile would not.
		if _, err := a.store.GetUserByUsername(ctx, *p.Username); err == nil {
			return ErrIdentifierExists.WithField(fieldUsername)
		} else if !errors.Is(err, storage.ErrNotFound) {
			return storageError(err)
		}
		st.Username = *p.Username
	}
	for _, n := range []struct {
		field string
		v     *string
		dst   *string
	}{{fieldFirst, p.FirstName, &st.FirstName}, {fieldLast, p.LastName, &st.LastName}} {
		if n.v == nil {
			continue
		}
		if e := validName(n.field, *n.v); e != nil {
			return e
		}
		*n.dst = *n.v
	}
	if p.LegalAccepted != nil {
		st.LegalAccepted = *p.LegalAccepted
	}
	if p.UnsafeMetadata != nil {
		if e := validMetadata("unsafe_metadata", p.UnsafeMetadata); e != nil {
			return e
		}
		st.UnsafeMetadata = p.UnsafeMetadata
	}
	if p.Password != nil {
		if err := allowed(c.Password, fieldPassword); err != nil {
			return err
		}
		local, _, _ := cutAt(st.EmailAddress)
		if err := a.checkNewPassword(ctx, *p.Password, local, st.FirstName, st.LastName, st.Username); err != nil {
			return err
		}
		hash, err := a.passwords.Hash(ctx, *p.Password)
		if err != nil {
			return ErrUnavailable.wrap(err)
		}
		st.PasswordHash = hash
	}
	return nil
}

func cutAt(email string) (local, domain string, ok bool) {
	for i := len(email) - 1; i >= 0; i-- {
		if email[i] == '@' {
			return email[:i], email[i+1:], true
		}
	}
	return email, "", false
}

// prepareSignUpVerification sends a code (or link) to the sign-up's email
// address or phone number. When the address already belongs to an account,
// it sends a note saying so instead of a code, and answers exactly as
// otherwise: only the mailbox's owner learns that the account exists.
func (a *Auth) prepareSignUpVerification(ctx context.Context, rq *flowReq, f *flow[signUpState], p PrepareParams) (*SignUp, error) {
	if f.rec.Status == SignUpComplete {
		return nil, ErrFlowStep
	}
	st := &f.state
	s, _ := a.strategy(p.Strategy, FirstFactor).(addressProver)
	if s == nil || s.provesAddress() == "" || a.verifyStrategy(s.provesAddress()) != p.Strategy {
		return nil, ErrStrategyNotAllowed // SignUpConfig.EmailVerification picks one per field
	}
	kind := s.provesAddress()
	value, fs := st.EmailAddress, &st.Email
	if kind == storage.KindPhoneNumber {
		value, fs = st.PhoneNumber, &st.Phone
	}
	if value == "" {
		return nil, ErrFieldRequired.WithField(string(kind))
	}
	to := Recipient{Email: value, Locale: st.Locale}
	if kind == storage.KindPhoneNumber {
		to = Recipient{Phone: value, Locale: st.Locale}
	}
	if err := a.checkSend(ctx, rq.r, to); err != nil {
		return nil, err
	}
	_, err := a.store.FindIdentifier(ctx, kind, value)
	taken := err == nil
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, storageError(err)
	}
	attempts := 0
	if *fs != nil && (*fs).Strategy == p.Strategy {
		attempts = (*fs).Attempts
	}
	nf := &factorState{Strategy: p.Strategy, Status: factorUnverified, Attempts: attempts}
	msg, data, err := s.proveAddress(ctx, f.rec.ID, st, nf)
	if err != nil {
		return nil, err
	}
	if !taken {
		if err := a.send(ctx, msg, to, data); err != nil {
			return nil, err
		}
	}
	if taken && kind == storage.KindEmailAddress {
		_ = a.send(ctx, MessageAccountExists, to, MessageData{Link: a.link(a.cfg.Session.SignInURL)})
	}
	*fs = nf
	if err := f.save(ctx, a, SignUpMissingRequirements); err != nil {
		return nil, err
	}
	return a.signUpView(f), nil
}

// attemptSignUpVerification checks the code sent to the address or number.
func (a *Auth) attemptSignUpVerification(ctx context.Context, rq *flowReq, f *flow[signUpState], p AttemptParams) (*SignUp, error) {
	if f.rec.Status == SignUpComplete {
		return nil, ErrFlowStep
	}
	st := &f.state
	s, _ := a.strategy(p.Strategy, FirstFactor).(addressProver)
	if s == nil || s.provesAddress() == "" {
		return nil, ErrStrategyNotAllowed
	}
	fs := st.Email
	if s.provesAddress() == storage.KindPhoneNumber {
		fs = st.Phone
	}
	// Only a code is attempted here: a link is opened, not typed.
	if fs == nil || fs.Strategy != p.Strategy || fs.VerificationID == "" {
		return nil, ErrFlowStep
	}
	if err := p.unasked(InputCode); err != nil {
		return nil, err
	}
	if _, err := a.checkCode(ctx, fs.VerificationID, p.Code); err != nil {
		fs.Attempts++
		if errors.Is(err, ErrCodeExpired) {
			fs.Status = factorFailed
		}
		if serr := f.save(ctx, a, SignUpMissingRequirements); serr != nil {
			return nil, serr
		}
		return nil, err
	}
	fs.Status = factorVerified
	return a.continueSignUp(ctx, rq, f)
}

// continueSignUp creates the account and signs it in once nothing is
// missing or unverified; otherwise it saves the sign-up as it is.
func (a *Auth) continueSignUp(ctx context.Context, rq *flowReq, f *flow[signUpState]) (*SignUp, error) {
	st := &f.state
	if len(a.missingFields(st)) > 0 || len(unverifiedFields(st)) > 0 {
		if err := f.save(ctx, a, SignUpMissingRequirements); err != nil {
			return nil, err
		}
		return a.signUpView(f), nil
	}
	p := CreateUserParams{Username: st.Username, FirstName: st.FirstName, LastName: st.LastName, UnsafeMetadata: st.UnsafeMetadata}
	verifiedBy := ""
	if st.EmailAddress != "" {
		p.EmailAddresses = []string{st.EmailAddress}
		verifiedBy = st.Email.Strategy
	}
	if st.PhoneNumber != "" {
		p.PhoneNumbers = []string{st.PhoneNumber}
		if verifiedBy == "" {
			verifiedBy = st.Phone.Strategy
		}
	}
	var spend, link func(*tx) error
	if st.InvitationID != "" {
		spend = func(t *tx) error { return a.spendInvitation(ctx, t, st.InvitationID, st.Email.VerificationID) }
	}
	if st.Identity != nil {
		p.ImageURL = st.Identity.ImageURL
		if validImageURL(p.ImageURL) != nil {
			p.ImageURL = ""
		}
		link = func(t *tx) error {
			t.identity = st.Identity
			return a.createExternalAccount(ctx, t, t.created.ID, st.Identity)
		}
	}
	u, err := a.createUser(ctx, p, verifiedBy, st.PasswordHash, spend, link)
	if err != nil {
		// Someone else verified the same address first; the person here
		// proved they own it, so telling them is no leak.
		return nil, err
	}
	st.UserID = u.ID
	amr := []string{"otp"}
	if st.PasswordHash != "" {
		amr = append(amr, "pwd")
	}
	if st.Identity != nil && len(st.AMR) > 0 {
		amr = st.AMR
	}
	st.PasswordHash = "" // no longer needed in the flow
	if su, err := a.store.GetUser(ctx, u.ID); err != nil {
		return nil, storageError(err)
	} else if req, err := a.signInRequirements(ctx, SignInContext{User: su, Strategy: verifiedBy, AMR: amr}); err != nil {
		return nil, err
	} else if req.SecondFactor {
		return a.signUpNeedsSecondFactor(ctx, rq, f, amr)
	}
	if _, err := a.createSession(ctx, rq, u.ID, SessionParams{AMR: amr}, func(t *tx, s *storage.Session) error {
		st.SessionID = s.ID
		if f.rec.ClientID == "" {
			f.rec.ClientID = s.ClientID
		}
		return f.completeIn(ctx, a, t, SignUpComplete)
	}); err != nil {
		return nil, err
	}
	return a.signUpView(f), nil
}

// signUpNeedsSecondFactor completes a sign-up whose new user a policy
// requires to have a second factor: instead of a session, it starts the
// sign-in in which they set one up, so that no session of theirs ever has
// one factor.
func (a *Auth) signUpNeedsSecondFactor(ctx context.Context, rq *flowReq, f *flow[signUpState], amr []string) (*SignUp, error) {
	st := &f.state
	factors, err := a.enrollableSecondFactors()
	if err != nil {
		return nil, err
	}
	in := signInState{UserID: st.UserID, AMR: amr, SecondFactors: factors, EnrollSecond: true, RedirectURL: st.RedirectURL, Locale: st.Locale,
		First: &factorState{Strategy: "sign_up", Status: factorVerified}, Device: rq.device, IP: rq.ip}
	si, err := newFlow(ctx, a, rq, flowKindSignIn, "sia", SignInNeedsSecondFactor, in)
	if err != nil {
		return nil, err
	}
	si.rec.ClientID = f.rec.ClientID
	if err := si.save(ctx, a, SignInNeedsSecondFactor); err != nil {
		return nil, err
	}
	st.SignInID = si.rec.ID
	if f.rec.ClientID == "" {
		f.rec.ClientID = si.rec.ClientID
	}
	if err := f.completeIn(ctx, a, a.store, SignUpComplete); err != nil {
		return nil, err
	}
	return a.signUpView(f), nil
}
