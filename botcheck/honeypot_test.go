package botcheck

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestHoneypot(t *testing.T) {
	form := func(v url.Values) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/sign-up", strings.NewReader(v.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	multi := func(field, value string) *http.Request {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		w.WriteField("email", "a@example.com")
		w.WriteField(field, value)
		w.Close()
		r := httptest.NewRequest(http.MethodPost, "/sign-up", &b)
		r.Header.Set("Content-Type", w.FormDataContentType())
		return r
	}
	for _, tc := range []struct {
		name string
		r    *http.Request
		want bool
	}{
		{"absent", form(url.Values{"email": {"a@example.com"}}), false},
		{"present and empty (a human)", form(url.Values{"email": {"a@example.com"}, HoneypotField: {""}}), false},
		{"filled", form(url.Values{"email": {"a@example.com"}, HoneypotField: {"http://spam.example"}}), true},
		{"whitespace counts", form(url.Values{HoneypotField: {" "}}), true},
		{"filled in a repeated field", form(url.Values{HoneypotField: {"", "x"}}), true},
		{"filled in the query", httptest.NewRequest(http.MethodGet, "/sign-in?"+HoneypotField+"=x", nil), true},
		{"multipart empty", multi(HoneypotField, ""), false},
		{"multipart filled", multi(HoneypotField, "x"), true},
		{"GET without form", httptest.NewRequest(http.MethodGet, "/sign-in", nil), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := HoneypotTripped(tc.r); got != tc.want {
				t.Fatalf("HoneypotTripped = %v, want %v", got, tc.want)
			}
		})
	}
	// Already-parsed forms are read, not re-parsed.
	r := form(url.Values{HoneypotField: {"x"}})
	if err := r.ParseForm(); err != nil {
		t.Fatal(err)
	}
	if !HoneypotTripped(r) {
		t.Fatal("missed a honeypot in an already-parsed form")
	}
}

func TestHoneypotHTMLHidesField(t *testing.T) {
	for _, want := range []string{
		`name="` + HoneypotField + `"`, `aria-hidden="true"`, `tabindex="-1"`, `autocomplete="off"`, `left:-10000px`,
	} {
		if !strings.Contains(HoneypotHTML, want) {
			t.Errorf("HoneypotHTML lacks %s", want)
		}
	}
	if strings.Contains(HoneypotHTML, `type="hidden"`) || strings.Contains(HoneypotHTML, "display:none") {
		t.Error("HoneypotHTML hides the field in a way bots detect")
	}
}
