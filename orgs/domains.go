package orgs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/screen"
	"github.com/latchauth/latch/storage"
)

// Domain is an organization's email domain.
type Domain struct {
	ID                string     `json:"id"`
	Object            string     `json:"object"`
	OrganizationID    string     `json:"organization_id"`
	Name              string     `json:"name"`
	EnrollmentMode    string     `json:"enrollment_mode"`
	IncludeSubdomains bool       `json:"include_subdomains"`
	Verified          bool       `json:"verified"`
	VerifiedAt        *time.Time `json:"verified_at,omitempty"`
	CreatedAt         time.Time  `json:"created_at"`
}

func domainView(d *storage.Domain) *Domain {
	v := &Domain{ID: d.ID, Object: "organization_domain", OrganizationID: d.OrganizationID, Name: d.Name,
		EnrollmentMode: d.EnrollmentMode, IncludeSubdomains: d.IncludeSubdomains, Verified: !d.VerifiedAt.IsZero(), CreatedAt: d.CreatedAt}
	if !d.VerifiedAt.IsZero() {
		t := d.VerifiedAt
		v.VerifiedAt = &t
	}
	return v
}

// DomainParams describes a domain.
type DomainParams struct {
	Name string `json:"name"`
	// EnrollmentMode is one of the Enroll constants; default
	// manual_invitation.
	EnrollmentMode string `json:"enrollment_mode"`
	// IncludeSubdomains extends the domain to its subdomains' addresses.
	IncludeSubdomains bool `json:"include_subdomains"`
	// Verified marks it verified at once: for a back end that proved the
	// affiliation its own way (Go API only).
	Verified bool `json:"-"`
}

var hostname = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$`)

func validMode(m string) bool {
	return m == EnrollManual || m == EnrollAutoInvitation || m == EnrollAutoSuggestion
}

// checkDomain normalises a domain name and refuses public mail providers,
// disposable domains and malformed names.
func (p *Plugin) checkDomain(name string) (string, error) {
	n := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
	if !hostname.MatchString(n) || len(n) > 253 {
		return "", ErrDomainNotAllowed.WithMessage("Enter a domain name, such as example.com.")
	}
	if p.public.Contains(n) || screen.DisposableDomains().Contains(n) {
		return "", ErrDomainNotAllowed
	}
	return n, nil
}

// CreateDomain adds a domain to an organization, unverified unless
// dp.Verified. Public mail providers and disposable domains are refused
// (ErrDomainNotAllowed), as is a domain another organization verified
// (ErrDomainTaken).
func (p *Plugin) CreateDomain(ctx context.Context, orgID string, dp DomainParams) (*Domain, error) {
	return p.createDomain(ctx, nil, orgID, dp)
}

func (p *Plugin) createDomain(ctx context.Context, by *actor, orgID string, dp DomainParams) (*Domain, error) {
	name, err := p.checkDomain(dp.Name)
	if err != nil {
		return nil, err
	}
	if dp.EnrollmentMode == "" {
		dp.EnrollmentMode = EnrollManual
	}
	if !validMode(dp.EnrollmentMode) {
		return nil, latch.ErrParamInvalid.WithField("enrollment_mode")
	}
	id, err := p.h.NewID("dom")
	if err != nil {
		return nil, err
	}
	now := p.h.Now()
	d := &storage.Domain{ID: id, OrganizationID: orgID, Name: name, EnrollmentMode: dp.EnrollmentMode,
		IncludeSubdomains: dp.IncludeSubdomains, CreatedAt: now, UpdatedAt: now}
	err = p.h.InTx(ctx, func(t *latch.Tx) error {
		s, err := txOf(t)
		if err != nil {
			return err
		}
		if _, err := s.orgs.GetOrganization(ctx, orgID); err != nil {
			return storageErr(err)
		}
		if other, err := s.domains.FindDomain(ctx, name); err == nil && other.OrganizationID != orgID {
			return ErrDomainTaken
		} else if err == nil {
			return latch.ErrIdentifierExists.WithField("name").WithMessage("This organization has this domain already.")
		}
		existing, err := s.domains.ListDomains(ctx, orgID)
		if err != nil {
			return err
		}
		for _, e := range existing {
			if storage.CanonicalName(e.Name) == storage.CanonicalName(name) {
				return latch.ErrIdentifierExists.WithField("name").WithMessage("This organization has this domain already.")
			}
		}
		verified := dp.Verified
		if !verified && by != nil {
			// An admin with a verified address there has proved it.
			emails, err := verifiedEmails(ctx, t, by.userID)
			if err != nil {
				return err
			}
			for c := range emails {
				if emailDomain(c) == storage.CanonicalName(name) {
					verified = true
				}
			}
		}
		if verified {
			d.VerifiedAt = now
		}
		if err := s.domains.CreateDomain(ctx, d); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				return ErrDomainTaken
			}
			return err
		}
		if err := t.Emit(ctx, EventDomainCreated, by.id(), domainView(d)); err != nil {
			return err
		}
		if verified {
			return t.Emit(ctx, EventDomainVerified, by.id(), domainView(d))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return domainView(d), nil
}

// orgDomain returns a domain of orgID, or ErrNotFound.
func orgDomain(ctx context.Context, ds storage.DomainStore, orgID, id string) (*storage.Domain, error) {
	d, err := ds.GetDomain(ctx, id)
	if err != nil || orgID == "" || d.OrganizationID != orgID {
		return nil, latch.ErrNotFound
	}
	return d, nil
}

// ListDomains returns an organization's domains.
func (p *Plugin) ListDomains(ctx context.Context, orgID string) ([]*Domain, error) {
	list, err := p.domains.ListDomains(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := make([]*Domain, len(list))
	for i, d := range list {
		out[i] = domainView(d)
	}
	return out, nil
}

// UpdateDomainMode changes a domain's enrollment mode.
func (p *Plugin) UpdateDomainMode(ctx context.Context, orgID, id, mode string) (*Domain, error) {
	return p.updateDomain(ctx, nil, orgID, id, mode)
}

func (p *Plugin) updateDomain(ctx context.Context, by *actor, orgID, id, mode string) (*Domain, error) {
	if !validMode(mode) {
		return nil, latch.ErrParamInvalid.WithField("enrollment_mode")
	}
	var d *storage.Domain
	err := p.h.InTx(ctx, func(t *latch.Tx) error {
		s, err := txOf(t)
		if err != nil {
			return err
		}
		if d, err = orgDomain(ctx, s.domains, orgID, id); err != nil {
			return err
		}
		d.EnrollmentMode, d.UpdatedAt = mode, p.h.Now()
		if err := s.domains.UpdateDomain(ctx, d); err != nil {
			return storageErr(err)
		}
		return t.Emit(ctx, EventDomainUpdated, by.id(), domainView(d))
	})
	if err != nil {
		return nil, err
	}
	return domainView(d), nil
}

// DeleteDomain removes a domain of orgID.
func (p *Plugin) DeleteDomain(ctx context.Context, orgID, id string) error {
	return p.deleteDomain(ctx, nil, orgID, id)
}

func (p *Plugin) deleteDomain(ctx context.Context, by *actor, orgID, id string) error {
	return p.h.InTx(ctx, func(t *latch.Tx) error {
		s, err := txOf(t)
		if err != nil {
			return err
		}
		d, err := orgDomain(ctx, s.domains, orgID, id)
		if err != nil {
			return err
		}
		if err := s.domains.DeleteDomain(ctx, id); err != nil {
			return storageErr(err)
		}
		return t.Emit(ctx, EventDomainDeleted, by.id(), domainView(d))
	})
}

const (
	purposeAffiliation = "org_domain_affiliation"
	affiliationTTL     = 10 * time.Minute
	affiliationTries   = 5
)

// domainMatches reports whether an address's canonical domain is d's, or
// one of its subdomains when d includes them.
func domainMatches(d *storage.Domain, domain string) bool {
	name := storage.CanonicalName(d.Name)
	return domain == name || (d.IncludeSubdomains && strings.HasSuffix(domain, "."+name))
}

// PrepareAffiliation mails a code to email, an address at the domain, and
// returns the ID of the verification that AttemptAffiliation redeems.
func (p *Plugin) PrepareAffiliation(ctx context.Context, orgID, domainID, email string) (string, error) {
	addr, err := normalizeEmail(email)
	if err != nil {
		return "", err
	}
	d, err := orgDomain(ctx, p.domains, orgID, domainID)
	if err != nil {
		return "", err
	}
	if !d.VerifiedAt.IsZero() {
		return "", latch.ErrParamInvalid.WithMessage("This domain is verified already.")
	}
	if !domainMatches(d, emailDomain(addr)) {
		return "", latch.ErrEmailInvalid.WithMessage("Enter an address at " + d.Name + ".")
	}
	n, err := rand.Int(p.h.Rand(), big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	id, err := p.h.NewID(latch.PrefixVerification)
	if err != nil {
		return "", err
	}
	now := p.h.Now()
	data, _ := json.Marshal(map[string]string{"domain_id": d.ID, "email_address": addr})
	v := &storage.Verification{ID: id, Purpose: purposeAffiliation, SecretHash: affiliationHash(id, code),
		MaxAttempts: affiliationTries, Data: data, ExpiresAt: now.Add(affiliationTTL), CreatedAt: now}
	if err := p.h.Store().CreateVerification(ctx, v); err != nil {
		return "", err
	}
	if err := p.h.Send(ctx, MessageDomainCode, latch.Recipient{Email: addr}, latch.MessageData{Code: code, Email: addr}); err != nil {
		return "", err
	}
	return id, nil
}

func affiliationHash(id, code string) []byte {
	h := sha256.Sum256([]byte(id + "\x00" + code))
	return h[:]
}

// AttemptAffiliation checks the code PrepareAffiliation sent and, when it
// is right, verifies the domain. Wrong codes count; after five, or ten
// minutes, the code is spent (latch.ErrCodeExpired).
func (p *Plugin) AttemptAffiliation(ctx context.Context, orgID, domainID, verificationID, code string) (*Domain, error) {
	return p.attemptAffiliation(ctx, nil, orgID, domainID, verificationID, code)
}

func (p *Plugin) attemptAffiliation(ctx context.Context, by *actor, orgID, domainID, verificationID, code string) (*Domain, error) {
	if _, err := orgDomain(ctx, p.domains, orgID, domainID); err != nil {
		return nil, err
	}
	st := p.h.Store()
	v, err := st.GetVerification(ctx, verificationID)
	var data struct {
		DomainID string `json:"domain_id"`
	}
	if err != nil || v.Purpose != purposeAffiliation || json.Unmarshal(v.Data, &data) != nil || data.DomainID != domainID {
		return nil, latch.ErrCodeExpired
	}
	if _, err := st.RecordVerificationAttempt(ctx, verificationID, p.h.Now()); err != nil {
		return nil, latch.ErrCodeExpired
	}
	if subtle.ConstantTimeCompare(affiliationHash(verificationID, strings.TrimSpace(code)), v.SecretHash) != 1 {
		return nil, latch.ErrCodeIncorrect
	}
	var d *storage.Domain
	err = p.h.InTx(ctx, func(t *latch.Tx) error {
		if _, err := t.ConsumeVerification(ctx, verificationID, p.h.Now()); err != nil {
			return latch.ErrCodeExpired
		}
		s, err := txOf(t)
		if err != nil {
			return err
		}
		if d, err = orgDomain(ctx, s.domains, orgID, domainID); err != nil {
			return err
		}
		d.VerifiedAt, d.UpdatedAt = p.h.Now(), p.h.Now()
		if err := s.domains.UpdateDomain(ctx, d); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				return ErrDomainTaken
			}
			return storageErr(err)
		}
		return t.Emit(ctx, EventDomainVerified, by.id(), domainView(d))
	})
	if err != nil {
		return nil, err
	}
	return domainView(d), nil
}

// verifiedDomainsFor returns the verified domains an address's domain
// falls under: its own, and its parents' that include subdomains.
func (p *Plugin) verifiedDomainsFor(ctx context.Context, ds storage.DomainStore, addr string) ([]*storage.Domain, error) {
	dom := emailDomain(addr)
	var out []*storage.Domain
	for name := dom; strings.Contains(name, "."); {
		d, err := ds.FindDomain(ctx, name)
		switch {
		case err == nil && domainMatches(d, dom):
			out = append(out, d)
		case err != nil && !errors.Is(err, storage.ErrNotFound):
			return nil, err
		}
		_, name, _ = strings.Cut(name, ".")
	}
	return out, nil
}

// domainInvitations invites the user, once, to each organization whose
// verified domain in automatic_invitation mode covers one of their
// verified addresses (emails: canonical → as stored).
func (p *Plugin) domainInvitations(ctx context.Context, userID string, emails map[string]string) error {
	for _, addr := range emails {
		doms, err := p.verifiedDomainsFor(ctx, p.domains, addr)
		if err != nil {
			return err
		}
		for _, d := range doms {
			if d.EnrollmentMode != EnrollAutoInvitation {
				continue
			}
			if _, err := p.members.GetMembership(ctx, d.OrganizationID, userID); err == nil {
				continue
			}
			prev, _, err := p.invites.ListInvitationsForEmail(ctx, addr, "", storage.Page{Limit: storage.MaxLimit})
			if err != nil {
				return err
			}
			if slicesAny(prev, func(i *storage.Invitation) bool { return i.OrganizationID == d.OrganizationID && i.InviterID == "" }) {
				continue // invited once: declined, revoked or pending
			}
			if _, err := p.createInvitations(ctx, nil, d.OrganizationID, "", []InviteParams{{EmailAddress: addr}}); err != nil &&
				!errors.Is(err, latch.ErrIdentifierExists) && !errors.Is(err, ErrAlreadyMember) {
				return err
			}
		}
	}
	return nil
}

func slicesAny[T any](list []T, f func(T) bool) bool {
	for _, v := range list {
		if f(v) {
			return true
		}
	}
	return false
}
