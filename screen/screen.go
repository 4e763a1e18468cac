package screen

import (
	"errors"
	"fmt"
	"strings"
)

// Stable codes of a [Rejection]. The kernel passes them on to API clients,
// so they never change meaning.
const (
	// CodeEmailDisposable: the email domain is a disposable-mail service.
	CodeEmailDisposable = "email_disposable"
	// CodeEmailSubaddress: the address has a "+tag" and subaddresses are
	// refused.
	CodeEmailSubaddress = "email_subaddress"
	// CodeIdentifierBlocked: the identifier matches an entry of Rules.Block.
	CodeIdentifierBlocked = "identifier_blocked"
	// CodeIdentifierNotAllowed: Rules.Allow is set and the identifier matches
	// none of its entries.
	CodeIdentifierNotAllowed = "identifier_not_allowed"
)

// Rejection is the error returned when an identifier may not be used. Code
// is one of the Code constants; Message is a sentence that can be shown to
// the person signing up as it is. Neither reveals which list entry matched.
type Rejection struct {
	Code    string
	Message string
}

// Error returns the code and the message.
func (e *Rejection) Error() string { return e.Code + ": " + e.Message }

func reject(code, msg string) *Rejection { return &Rejection{Code: code, Message: msg} }

// User-facing messages, one per code and kind of identifier.
const (
	msgEmailDisposable = "Disposable email addresses can't be used here. Please use a permanent email address."
	msgEmailSubaddress = "Email addresses with a \"+\" tag can't be used here. Please use the address without the tag."
	msgEmailBlocked    = "This email address can't be used here."
	msgEmailNotAllowed = "Only approved email addresses can be used here."
	msgPhoneBlocked    = "This phone number can't be used here."
	msgPhoneNotAllowed = "Only approved phone numbers can be used here."
)

// Rules decide which email addresses and phone numbers may sign up or be
// added to an account. The zero value refuses disposable email domains and
// nothing else (see the package documentation for why). Rules hold no
// hidden state: a value may be copied, and is safe for concurrent use as long
// as nobody modifies it. A nil *Rules behaves as the zero value.
//
// Entries of Allow and Block take these forms, matched in canonical form
// (case, width and Punycode variants are equal):
//
//	ada@example.com   this address exactly
//	@example.com      any address at this domain, not its subdomains
//	example.com       the same as "@example.com"
//	*.example.com     any address at a subdomain of example.com, not at
//	                  example.com itself (list both to cover both)
//	+44, +1555        any phone number starting with these digits; "+"
//	                  alone matches every phone number
//
// Email entries never match phone numbers and phone entries never match
// email addresses. Malformed entries match nothing; [Rules.Validate]
// reports them. The lists are scanned on every check, so they suit tens or
// hundreds of entries; put large domain lists in a [DomainList].
type Rules struct {
	// AllowDisposable turns off the disposable-domain check.
	AllowDisposable bool

	// BlockSubaddresses refuses addresses whose local part has a "+"
	// ("ada+news@example.com"). Off by default: "+" is legitimate, widely
	// used for filtering, and means a subaddress only if the receiving
	// domain says so; refusing it turns real users away.
	BlockSubaddresses bool

	// Allow, when non-empty, switches to allowlist mode: only identifiers
	// matching an entry pass. This applies to both kinds: an Allow list of
	// only email entries refuses every phone number (add "+" to accept all
	// of them). Allow does not lift the disposable or subaddress checks.
	Allow []string

	// Block refuses identifiers matching an entry. Block wins over Allow.
	Block []string

	// Disposable replaces the embedded list of disposable domains
	// ([DisposableDomains]) when non-nil.
	Disposable *DomainList

	// ExtraDisposable adds domains to the disposable list in use; each also
	// covers its subdomains.
	ExtraDisposable []string
}

// CheckEmail reports whether addr may be used, returning nil or a
// [*Rejection]. addr is expected to have been validated already; for
// malformed input CheckEmail still returns a decision and never panics.
// Checks run in this order: Block, Allow, disposable domain, subaddress.
func (r *Rules) CheckEmail(addr string) error {
	if r == nil {
		return (&Rules{}).CheckEmail(addr)
	}
	e := parseEmail(addr)
	if matchEmail(r.Block, e) {
		return reject(CodeIdentifierBlocked, msgEmailBlocked)
	}
	if len(r.Allow) > 0 && !matchEmail(r.Allow, e) {
		return reject(CodeIdentifierNotAllowed, msgEmailNotAllowed)
	}
	if !r.AllowDisposable && r.disposable(e.domain) {
		return reject(CodeEmailDisposable, msgEmailDisposable)
	}
	if r.BlockSubaddresses && strings.ContainsRune(e.local, '+') {
		return reject(CodeEmailSubaddress, msgEmailSubaddress)
	}
	return nil
}

// CheckPhone reports whether the phone number e164 may be used, returning
// nil or a [*Rejection]. Separators are ignored; input that is not "+" and
// digits matches no list entry (so it is refused in allowlist mode) and
// CheckPhone never panics.
func (r *Rules) CheckPhone(e164 string) error {
	if r == nil {
		return (&Rules{}).CheckPhone(e164)
	}
	p, ok := canonicalPhone(e164, false)
	if !ok {
		p = ""
	}
	if matchPhone(r.Block, p) {
		return reject(CodeIdentifierBlocked, msgPhoneBlocked)
	}
	if len(r.Allow) > 0 && !matchPhone(r.Allow, p) {
		return reject(CodeIdentifierNotAllowed, msgPhoneNotAllowed)
	}
	return nil
}

// Validate reports the entries of Allow, Block and ExtraDisposable that are
// malformed and therefore match nothing, joined into one error, or nil. The
// kernel calls it once when it is configured.
func (r *Rules) Validate() error {
	if r == nil {
		return nil
	}
	var errs []error
	for _, l := range []struct {
		name    string
		entries []string
	}{{"Allow", r.Allow}, {"Block", r.Block}} {
		for _, s := range l.entries {
			if k, _, _ := parseEntry(s); k == entryInvalid {
				errs = append(errs, fmt.Errorf("screen: %s entry %q is not an address, domain, *.domain or +prefix", l.name, s))
			}
		}
	}
	for _, s := range r.ExtraDisposable {
		if d := listDomain(s); d == "" || strings.ContainsAny(d, "@*+") {
			errs = append(errs, fmt.Errorf("screen: ExtraDisposable entry %q is not a domain", s))
		}
	}
	return errors.Join(errs...)
}

// disposable reports whether the canonical domain d is disposable.
func (r *Rules) disposable(d string) bool {
	if d == "" {
		return false
	}
	list := r.Disposable
	if list == nil {
		list = DisposableDomains()
	}
	if list.contains(d) {
		return true
	}
	for _, x := range r.ExtraDisposable {
		if x = listDomain(x); x != "" && underDomain(d, x) {
			return true
		}
	}
	return false
}

// underDomain reports whether d is parent or one of its subdomains.
func underDomain(d, parent string) bool {
	return d == parent || isSubdomain(d, parent)
}

// isSubdomain reports whether d is a strict subdomain of parent.
func isSubdomain(d, parent string) bool {
	return len(d) > len(parent)+1 && strings.HasSuffix(d, parent) && d[len(d)-len(parent)-1] == '.'
}

type entryKind int

const (
	entryInvalid entryKind = iota
	entryAddress
	entryDomain
	entrySubdomains
	entryPhonePrefix
)

// parseEntry classifies an Allow or Block entry and returns its canonical
// parts: for an address the local part and domain, for a domain or
// subdomain pattern the domain, for a phone prefix the prefix.
func parseEntry(s string) (kind entryKind, a, b string) {
	s = fold(strings.TrimSpace(s))
	switch {
	case s == "":
		return entryInvalid, "", ""
	case s[0] == '+':
		if p, ok := canonicalPhone(s, true); ok {
			return entryPhonePrefix, p, ""
		}
		return entryInvalid, "", ""
	case strings.HasPrefix(s, "*."):
		if d := normDomain(s[2:]); validEntryDomain(d) {
			return entrySubdomains, d, ""
		}
		return entryInvalid, "", ""
	}
	at := strings.LastIndexByte(s, '@')
	switch {
	case at == 0:
		if d := normDomain(s[1:]); validEntryDomain(d) {
			return entryDomain, d, ""
		}
	case at > 0:
		if d := normDomain(s[at+1:]); validEntryDomain(d) && !strings.ContainsRune(s[:at], '*') {
			return entryAddress, s[:at], d
		}
	default:
		if d := normDomain(s); validEntryDomain(d) {
			return entryDomain, d, ""
		}
	}
	return entryInvalid, "", ""
}

// validEntryDomain rejects what cannot be a domain in an entry.
func validEntryDomain(d string) bool {
	return d != "" && !strings.ContainsAny(d, "@* \t")
}

// matchEmail reports whether e matches an email entry of list.
func matchEmail(list []string, e email) bool {
	if e.domain == "" {
		return false
	}
	for _, s := range list {
		switch k, a, b := parseEntry(s); k {
		case entryAddress:
			if e.local == a && e.domain == b {
				return true
			}
		case entryDomain:
			if e.domain == a {
				return true
			}
		case entrySubdomains:
			if isSubdomain(e.domain, a) {
				return true
			}
		}
	}
	return false
}

// matchPhone reports whether the canonical number p starts with a phone
// prefix of list. An empty p matches nothing.
func matchPhone(list []string, p string) bool {
	if p == "" {
		return false
	}
	for _, s := range list {
		if k, a, _ := parseEntry(s); k == entryPhonePrefix && strings.HasPrefix(p, a) {
			return true
		}
	}
	return false
}
