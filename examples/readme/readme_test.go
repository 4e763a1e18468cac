package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/storage/memstore"
)

// goBlock is one ```go block of README.md.
type goBlock struct {
	line int // of its first line of code, 1-based
	code string
}

func readmeGoBlocks(t *testing.T) []goBlock {
	t.Helper()
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []goBlock
	var cur *goBlock
	var lines []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		switch {
		case cur == nil && strings.TrimSpace(l) == "```go":
			cur, lines = &goBlock{line: n + 1}, nil
		case cur != nil && strings.TrimSpace(l) == "```":
			cur.code = strings.Join(lines, "\n")
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("README.md:%d: a ```go block is never closed", cur.line)
	}
	return blocks
}

// region is the code between a "// readme:begin" and a "// readme:end" line
// of a Go file here, without the indentation it has in its function, or a
// whole file.
type region struct {
	where string
	code  string
	used  bool
}

func regions(t *testing.T) []*region {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []*region
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, &region{where: name, code: strings.TrimRight(string(b), "\n"), used: true})
		var lines []string
		start := 0
		for i, l := range strings.Split(string(b), "\n") {
			switch strings.TrimSpace(l) {
			case "// readme:begin":
				if lines != nil {
					t.Fatalf("%s:%d: readme:begin inside a region", name, i+1)
				}
				lines, start = []string{}, i+1
			case "// readme:end":
				if lines == nil {
					t.Fatalf("%s:%d: readme:end without readme:begin", name, i+1)
				}
				out = append(out, &region{where: name + ":" + strconv.Itoa(start+1), code: dedent(lines)})
				lines = nil
			default:
				if lines != nil {
					lines = append(lines, l)
				}
			}
		}
		if lines != nil {
			t.Fatalf("%s:%d: a region is never closed", name, start)
		}
	}
	return out
}

// dedent removes the tabs every line starts with, and blank lines around.
func dedent(lines []string) string {
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	indent := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, "\t"))
		if indent < 0 || n < indent {
			indent = n
		}
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		if len(l) >= indent {
			out[i] = l[max(indent, 0):]
		}
	}
	return strings.Join(out, "\n")
}

// TestReadmeGoBlocks fails when a ```go block of README.md is not, byte for
// byte, a region of snippets_test.go (or a whole file here), which the
// compiler checks; and when a region is in no block, so that the two cannot
// drift apart.
func TestReadmeGoBlocks(t *testing.T) {
	rs := regions(t)
	blocks := readmeGoBlocks(t)
	if len(blocks) == 0 {
		t.Fatal("no ```go blocks found in README.md")
	}
	for _, b := range blocks {
		found := false
		for _, r := range rs {
			if r.code == b.code {
				r.used, found = true, true
			}
		}
		if !found {
			t.Errorf("README.md:%d: this ```go block is not compiled: put it, gofmt-formatted and verbatim, between "+
				"// readme:begin and // readme:end in examples/readme/snippets_test.go, with whatever it needs around it:\n%s", b.line, b.code)
		}
	}
	for _, r := range rs {
		if !r.used {
			t.Errorf("%s: this region is in no ```go block of README.md: remove it, or put it in the README:\n%s", r.where, r.code)
		}
	}
}

// The README's sign-up from Go, with the proof of work on as by default,
// gets past the bot check; without the bot_token it is refused.
func TestReadmeBotTokenSignUp(t *testing.T) {
	auth, err := latch.New(latch.Config{Store: memstore.New(), BaseURL: "https://app.example.com",
		Secrets: [][]byte{[]byte("readme test secret, 32 bytes at least")}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(auth.Middleware(routes(auth)))
	defer srv.Close()
	res, err := signUpWithBotToken(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || out["status"] != "missing_requirements" {
		t.Fatalf("sign-up with the bot token: %d %v", res.StatusCode, out)
	}
	res, err = http.Post(srv.URL+"/v1/client/sign_ups", "application/json", strings.NewReader(`{"email_address":"bob@example.com","password":"correct horse battery staple"}`))
	if err != nil {
		t.Fatal(err)
	}
	out = nil
	_ = json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || latchtest.ErrorCode(out) != "bot_check_failed" {
		t.Fatalf("sign-up without a bot token: %d %v", res.StatusCode, out)
	}
}

// The README's Strings example changes the sign-in page's heading and its
// tab title, and its user button is styled.
func TestReadmeUIExamples(t *testing.T) {
	h := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{AppName: "Acme", UI: ui()}})
	mux := routes(h.Auth)
	userButton(h.Auth, mux)
	b := latchtest.NewBrowser(h.Middleware(mux))
	page := read(t, b.Get("/sign-in"))
	for _, want := range []string{"<title>Welcome back", ">Welcome back to Acme</h1>"} {
		if !strings.Contains(page, want) {
			t.Errorf("sign-in page lacks %q", want)
		}
	}
	u, err := h.CreateUser(t.Context(), latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	latchtest.SignIn(t, h.Auth, b, u.ID)
	home := read(t, b.Get("/"))
	css, button := strings.Index(home, `<link rel="stylesheet" href="/v1/latch.css">`), strings.Index(home, "latch-userbutton")
	if css < 0 || button < 0 || css > button {
		t.Errorf("the user button is not preceded by its stylesheet: %.300s", home)
	}
	if res := b.Get("/v1/latch.css"); res.StatusCode != http.StatusOK || !strings.Contains(read(t, res), ".latch-userbutton") {
		t.Error("/v1/latch.css does not serve the user button's styles")
	}
}

func read(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The README's teams plugin puts the role into real session tokens, so
// that Protect(Role) and Claim hold behind its checks.
func TestReadmePluginClaims(t *testing.T) {
	roles := map[string]string{}
	h := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Plugins: []latch.Plugin{teams{roles}}}})
	u, err := h.CreateUser(context.Background(), latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	roles[u.ID] = "org:admin"
	mux := http.NewServeMux()
	mux.Handle("/", h.Handler())
	pluginChecks(h.Auth, mux)
	b := latchtest.NewBrowser(h.Middleware(mux))
	latchtest.SignIn(t, h.Auth, b, u.ID)
	for path, want := range map[string]int{"/admin": 200, "/lounge": 200, "/vault": 403, "/v1/me/teams": 200} {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Accept", "application/json")
		if res := b.Do(r); res.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, res.StatusCode, want)
		}
	}
}
