package sso

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/oauth2"

	"github.com/latchauth/latch"
)

// lookup reads a dotted path in a JSON document.
func lookup(doc map[string]any, path string) any {
	var cur any = doc
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

// str is a JSON value as a string: a string as is, a number in decimal
// (GitHub's and Facebook's numeric IDs), anything else "".
func str(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	}
	return ""
}

// truth is a JSON boolean claim: true, or the string "true" (Sign in with
// Apple sends "true" and "false" as strings). Anything else, the string
// "false" included, is false.
func truth(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(strings.TrimSpace(v), "true")
	}
	return false
}

// mapClaims maps a user document by the provider's claim mapping and its
// rule for a verified email.
func (p *provider) mapClaims(doc map[string]any) (*latch.Identity, error) {
	m := p.Claims
	id := &latch.Identity{
		Subject:      str(lookup(doc, or(m.Subject, "sub"))),
		EmailAddress: str(lookup(doc, or(m.Email, "email"))),
		FirstName:    str(lookup(doc, or(m.FirstName, "given_name"))),
		LastName:     str(lookup(doc, or(m.LastName, "family_name"))),
		Username:     str(lookup(doc, or(m.Username, "preferred_username"))),
		ImageURL:     str(lookup(doc, or(m.Picture, "picture"))),
	}
	if id.FirstName == "" && id.LastName == "" {
		id.FirstName, id.LastName = splitName(str(lookup(doc, or(m.Name, "name"))))
	}
	if p.VerifiesEmail && id.EmailAddress != "" {
		if m.EmailVerified == "" && p.Issuer == "" && p.preset == "" {
			id.EmailVerified = true // the switch alone says so
		} else {
			id.EmailVerified = truth(lookup(doc, or(m.EmailVerified, "email_verified")))
		}
	}
	if id.Subject == "" {
		return nil, refused("the user document has no subject", nil)
	}
	return id, nil
}

// splitName splits a display name at its first space.
func splitName(name string) (first, last string) {
	name = strings.TrimSpace(name)
	if i := strings.IndexByte(name, ' '); i > 0 {
		return name[:i], strings.TrimSpace(name[i+1:])
	}
	return name, ""
}

// readFormUser takes the name from Sign in with Apple's user field, which
// only the first form_post carries; the email address comes from the
// signed ID token alone.
func readFormUser(r *http.Request, id *latch.Identity) {
	raw := r.PostFormValue("user")
	if raw == "" || len(raw) > 4096 {
		return
	}
	var u struct {
		Name struct {
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
		} `json:"name"`
	}
	if json.Unmarshal([]byte(raw), &u) != nil {
		return
	}
	if id.FirstName == "" {
		id.FirstName = strings.TrimSpace(u.Name.FirstName)
	}
	if id.LastName == "" {
		id.LastName = strings.TrimSpace(u.Name.LastName)
	}
}

func asRetrieve(err error, re **oauth2.RetrieveError) bool { return errors.As(err, re) }
