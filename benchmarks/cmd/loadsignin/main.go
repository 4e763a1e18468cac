// Command loadsignin signs a user in to a running Latch app (the
// quickstart) over HTTP, for load.sh: with -signup it first signs the user
// up, solving the proof of work and reading the emailed code from the
// app's log (the quickstart prints mail to its standard error). It prints
// the browser's cookies as one Cookie header value.
//
//	go run ./cmd/loadsignin -base http://127.0.0.1:18080 -log quickstart.log -signup
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/latchauth/latch/botcheck"
)

func main() {
	base := flag.String("base", "http://127.0.0.1:18080", "the app's base URL (loopback)")
	logPath := flag.String("log", "", "the app's log, where the sign-up code appears (with -signup)")
	email := flag.String("email", "load@bench.example", "the user's email address")
	pw := flag.String("password", "correct horse battery staple 42", "the user's password")
	signup := flag.Bool("signup", false, "sign the user up first")
	flag.Parse()
	jar, _ := cookiejar.New(nil)
	c := &client{http: &http.Client{Jar: jar, Timeout: 10 * time.Second}, base: *base}
	if *signup {
		var ch struct{ Challenge *string }
		c.do("GET", "/v1/bot_challenge", nil, &ch)
		token := ""
		if ch.Challenge != nil {
			sol, err := botcheck.Solve(*ch.Challenge)
			check(err)
			token = *ch.Challenge + botcheck.TokenSeparator + sol
		}
		var su struct{ ID, Status string }
		c.do("POST", "/v1/client/sign_ups", map[string]string{"email_address": *email, "password": *pw, "bot_token": token}, &su)
		before := logSize(*logPath)
		c.do("POST", "/v1/client/sign_ups/"+su.ID+"/prepare_verification", map[string]string{"strategy": "email_code"}, nil)
		code := readCode(*logPath, before)
		c.do("POST", "/v1/client/sign_ups/"+su.ID+"/attempt_verification", map[string]string{"strategy": "email_code", "code": code}, &su)
		if su.Status != "complete" {
			check(fmt.Errorf("sign-up ended %q", su.Status))
		}
	} else {
		var si struct{ Status string }
		c.do("POST", "/v1/client/sign_ins", map[string]string{"identifier": *email, "password": *pw}, &si)
		if si.Status != "complete" {
			check(fmt.Errorf("sign-in ended %q", si.Status))
		}
	}
	u, err := url.Parse(*base)
	check(err)
	var parts []string
	for _, ck := range jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	fmt.Println(strings.Join(parts, "; "))
}

type client struct {
	http *http.Client
	base string
}

// do sends body as JSON and decodes the answer into out, exiting on any
// status but 200.
func (c *client) do(method, path string, body, out any) {
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	check(err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := c.http.Do(req)
	check(err)
	defer res.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	if res.StatusCode != http.StatusOK {
		check(fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, buf.String()))
	}
	if out != nil {
		check(json.Unmarshal(buf.Bytes(), out))
	}
}

func logSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		check(fmt.Errorf("-signup needs -log, the app's log: %w", err))
	}
	return fi.Size()
}

var codeRE = regexp.MustCompile(`\b(\d{6})\b`)

// readCode waits for a six-digit code written to the log after offset.
func readCode(path string, offset int64) string {
	for range 50 {
		b, err := os.ReadFile(path)
		check(err)
		if int64(len(b)) > offset {
			if m := codeRE.FindSubmatch(b[offset:]); m != nil {
				return string(m[1])
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	check(fmt.Errorf("no code in %s", path))
	return ""
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadsignin:", err)
		os.Exit(1)
	}
}
