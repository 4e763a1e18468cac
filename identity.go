package latch

import (
	"context"
	"errors"

	"github.com/latchauth/latch/storage"
)

// Identity is an account at an outside identity provider, as a strategy
// (social OAuth, OpenID Connect, SAML) proved it. The kernel decides what
// it means for the sign-in:
//
//   - the user who owns (Issuer, Subject) is signed in;
//   - else, when SignInConfig.Linking allows it, the identity is linked to
//     the user whose verified email address it carries, if the provider
//     verified that address too, and that user is signed in;
//   - else the sign-in continues as a sign-up (as Clerk transfers one),
//     whose email address the identity verifies only if the provider did,
//     and which needs no password.
//
// A second factor the user has set up is still asked for.
type Identity struct {
	// Provider is the strategy's name ("oauth_google"); the kernel sets it.
	Provider string `json:"provider"`
	// Issuer and Subject name the account at the provider: the issuer (an
	// OpenID Connect iss, a SAML entity ID) and its stable user ID there.
	// Both are required; an email address is never a subject.
	Issuer  string `json:"issuer"`
	Subject string `json:"subject"`
	// EmailAddress is the address the provider gives, and EmailVerified
	// whether the provider vouches that the account controls it, by that
	// provider's own rule (Google's email_verified, GitHub's primary
	// verified address, …). An unverified address never links accounts.
	EmailAddress  string `json:"email_address,omitempty"`
	EmailVerified bool   `json:"email_verified,omitempty"`
	FirstName     string `json:"first_name,omitempty"`
	LastName      string `json:"last_name,omitempty"`
	Username      string `json:"username,omitempty"`
	ImageURL      string `json:"image_url,omitempty"`
}

// LinkPolicy says when an identity from a provider may be linked to an
// existing user (SignInConfig.Linking).
type LinkPolicy string

// Link policies.
const (
	// LinkVerifiedEmail links an identity to the user who holds its
	// email address only when both sides verified it: the provider says
	// so, and the address is verified on the user. It is the default. An
	// unverified address on either side never links (the "nOAuth"
	// takeover: an attacker's provider account claiming your address).
	LinkVerifiedEmail LinkPolicy = "verified_email"
	// LinkNever never links automatically: an identity whose address
	// belongs to a user is refused at sign-up (ErrIdentifierExists), and
	// the user connects the provider from a session of theirs.
	LinkNever LinkPolicy = "never"
)

// Status of a first-factor verification whose identity belongs to nobody:
// the sign-in became a sign-up (SignIn.SignUpID).
const factorTransferable = "transferable"

// signInWithIdentity moves a sign-in whose first factor proved an identity
// on: to its owner, to the user it may be linked to, or to a sign-up.
func (a *Auth) signInWithIdentity(ctx context.Context, rq *flowReq, f *flow[signInState], name string, proof *Proof) (*SignIn, error) {
	id := proof.Identity
	if err := id.validate(); err != nil {
		return nil, err
	}
	id.Provider = name
	userID, err := a.identityOwner(ctx, id)
	if err != nil {
		return nil, err
	}
	if userID != "" {
		f.state.UserID = userID
		return a.afterFirstFactor(ctx, rq, f, proof.AMR)
	}
	return a.transferToSignUp(ctx, rq, f, proof)
}

// identityOwner returns the user the identity belongs to, linking it
// under the policy, or "" when it belongs to nobody.
func (a *Auth) identityOwner(ctx context.Context, id *Identity) (string, error) {
	ea, err := a.store.FindExternalAccount(ctx, id.Issuer, id.Subject)
	switch {
	case err == nil:
		return ea.UserID, nil
	case !errors.Is(err, storage.ErrNotFound):
		return "", storageError(err)
	}
	if a.cfg.SignIn.Linking == LinkNever || !id.EmailVerified || id.EmailAddress == "" {
		return "", nil
	}
	email, verr := normalizeEmail(id.EmailAddress)
	if verr != nil {
		return "", nil
	}
	// FindIdentifier finds only verified addresses: the user's side of
	// the rule.
	i, err := a.store.FindIdentifier(ctx, storage.KindEmailAddress, email)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return "", nil
	case err != nil:
		return "", storageError(err)
	}
	if err := a.linkIdentity(ctx, i.UserID, id); err != nil {
		return "", err
	}
	return i.UserID, nil
}

// linkIdentity records id as an external account of userID, and says so
// in the user's events.
func (a *Auth) linkIdentity(ctx context.Context, userID string, id *Identity) error {
	err := a.inTx(ctx, func(t *tx) error {
		if err := a.createExternalAccount(ctx, t, userID, id); err != nil {
			return err
		}
		view, err := a.loadUser(ctx, t, userID)
		if err != nil {
			return err
		}
		return t.emit(ctx, EventUserUpdated, view, auditInfo{UserID: userID})
	})
	if errors.Is(err, ErrIdentifierExists) {
		// Linked by a concurrent sign-in meanwhile: to this user only if
		// it was to this user.
		ea, ferr := a.store.FindExternalAccount(ctx, id.Issuer, id.Subject)
		if ferr == nil && ea.UserID == userID {
			return nil
		}
	}
	return err
}

func (a *Auth) createExternalAccount(ctx context.Context, q storage.Querier, userID string, id *Identity) error {
	eid, err := a.newID(PrefixExternalAccount)
	if err != nil {
		return err
	}
	now := a.now()
	err = q.CreateExternalAccount(ctx, &storage.ExternalAccount{ID: eid, UserID: userID, Provider: id.Provider, Issuer: id.Issuer,
		Subject: id.Subject, EmailAddress: id.EmailAddress, Username: id.Username, FirstName: id.FirstName, LastName: id.LastName,
		ImageURL: id.ImageURL, CreatedAt: now, UpdatedAt: now})
	return conflictAs(err, ErrIdentifierExists.WithMessage("This account at the provider is already connected to a user."))
}

// transferToSignUp continues a sign-in whose identity belongs to nobody as
// a sign-up of the same browser, with what the identity says. A sign-up
// that needs nothing more completes the sign-in with its session.
func (a *Auth) transferToSignUp(ctx context.Context, rq *flowReq, f *flow[signInState], proof *Proof) (*SignIn, error) {
	if a.cfg.SignUp.Mode != SignUpPublic {
		return nil, ErrSignUpRestricted
	}
	id, st := proof.Identity, &f.state
	sst := signUpState{RedirectURL: st.RedirectURL, Locale: st.Locale, Device: st.Device, IP: st.IP, Identity: id, AMR: proof.AMR}
	if validName("first_name", id.FirstName) == nil {
		sst.FirstName = id.FirstName
	}
	if validName("last_name", id.LastName) == nil {
		sst.LastName = id.LastName
	}
	if email, verr := normalizeEmail(id.EmailAddress); id.EmailAddress != "" && verr == nil {
		sst.EmailAddress = email
		if id.EmailVerified {
			sst.Email = &factorState{Strategy: id.Provider, Status: factorVerified}
		}
	}
	sf, err := newFlow(ctx, a, rq, flowKindSignUp, "sua", SignUpMissingRequirements, sst)
	if err != nil {
		return nil, err
	}
	sf.rec.ClientID = f.rec.ClientID
	su, err := a.continueSignUp(ctx, rq, sf)
	if err != nil {
		return nil, err
	}
	st.SignUpID = su.ID
	if su.CreatedSessionID != "" {
		st.UserID, st.SessionID = su.CreatedUserID, su.CreatedSessionID
		if err := f.completeIn(ctx, a, a.store, SignInComplete); err != nil {
			return nil, err
		}
		return a.signInView(f), nil
	}
	st.First.Status = factorTransferable
	if err := f.save(ctx, a, SignInNeedsFirstFactor); err != nil {
		return nil, err
	}
	return a.signInView(f), nil
}
