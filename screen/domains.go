package screen

import (
	_ "embed"
	"strings"
	"sync"
)

//go:embed data/disposable_domains.txt
var disposableData string

// disposable parses the embedded list on first use. The result is never
// modified, so sharing it between goroutines and Rules values is safe.
var disposable = sync.OnceValue(func() *DomainList {
	l := &DomainList{set: make(map[string]struct{}, strings.Count(disposableData, "\n"))}
	for line := range strings.Lines(disposableData) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		l.add(line)
	}
	return l
})

// DisposableDomains returns the embedded list of disposable email domains:
// the index.json of the npm package disposable-email-domains 1.0.62
// (github.com/ivolo/disposable-email-domains, MIT licence; the file and its
// licence are in the data directory of this package). The list is parsed on
// the first call and shared; it is read-only and safe for concurrent use.
func DisposableDomains() *DomainList { return disposable() }

// DomainList is an immutable set of domain names in which a name also
// matches when one of its parent domains is in the set: a list holding
// "mailinator.com" contains "mailinator.com" and "eu.mailinator.com" but not
// "notmailinator.com". Names are compared in the canonical form described in
// the package documentation. A nil *DomainList is empty. A DomainList is safe
// for concurrent use.
type DomainList struct {
	set map[string]struct{}
}

// NewDomainList returns a list of the given domains. Each entry is
// canonicalised; a leading "@" or "*." is ignored (subdomains always match),
// and blank entries are skipped.
func NewDomainList(domains []string) *DomainList {
	l := &DomainList{set: make(map[string]struct{}, len(domains))}
	for _, d := range domains {
		l.add(d)
	}
	return l
}

func (l *DomainList) add(d string) {
	if d = listDomain(d); d != "" {
		l.set[d] = struct{}{}
	}
}

// listDomain canonicalises an entry of a domain list.
func listDomain(d string) string {
	d = fold(strings.TrimSpace(d))
	d = strings.TrimPrefix(d, "@")
	d = strings.TrimPrefix(d, "*.")
	return normDomain(d)
}

// Contains reports whether domain, or one of its parent domains, is in the
// list.
func (l *DomainList) Contains(domain string) bool {
	return l.contains(canonicalDomain(strings.TrimSpace(domain)))
}

// contains is Contains for a domain already in canonical form.
func (l *DomainList) contains(d string) bool {
	if l == nil || len(l.set) == 0 {
		return false
	}
	for d != "" {
		if _, ok := l.set[d]; ok {
			return true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return false
		}
		d = d[i+1:]
	}
	return false
}

// Len returns the number of distinct domains in the list.
func (l *DomainList) Len() int {
	if l == nil {
		return 0
	}
	return len(l.set)
}
