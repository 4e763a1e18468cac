package botcheck

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestScriptSizeAndHashes(t *testing.T) {
	s := Script()
	if len(s) == 0 || len(s) >= 3072 {
		t.Fatalf("script is %d bytes, want under 3 KiB", len(s))
	}
	sum := sha256.Sum256(s)
	sri := "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
	if ScriptSRI() != sri || ScriptSHA256() != "'"+sri+"'" {
		t.Fatalf("ScriptSRI %q, ScriptSHA256 %q, want %q", ScriptSRI(), ScriptSHA256(), sri)
	}
	s[0] = 'X'
	if Script()[0] == 'X' {
		t.Fatal("Script returns shared memory")
	}
	for _, want := range []string{"data-latch-pow", "latchPowLabel", "setTimeout", `":"`} {
		if !strings.Contains(string(Script()), want) {
			t.Errorf("script lacks %s", want)
		}
	}
}

func TestScriptHandler(t *testing.T) {
	h := ScriptHandler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, ScriptPath, nil))
	if rec.Code != http.StatusOK || rec.Body.String() != string(Script()) {
		t.Fatalf("GET: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	req := httptest.NewRequest(http.MethodGet, ScriptPath, nil)
	req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Fatalf("conditional GET: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, ScriptPath, nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", rec.Code)
	}
}

// nodeHarness runs the browser script against a minimal DOM stand-in and
// prints what the script did once it dispatches latch-pow-solved.
const nodeHarness = `
const code = require("fs").readFileSync(process.argv[2], "utf8");
const btn = {disabled: true, textContent: "Checking your browser…", dataset: {latchPowLabel: "Continue"},
  attrs: {"aria-busy": "true"}, removeAttribute(n) { delete this.attrs[n]; }};
let selector = "";
const form = {dataset: {}, querySelectorAll: s => { selector = s; return [btn]; }};
let ticks = 0;
const iv = setInterval(() => ticks++, 0);
const input = {dataset: {latchPow: process.argv[3]}, form, value: "", dispatchEvent(e) {
  clearInterval(iv);
  console.log(JSON.stringify({value: input.value, state: form.dataset.latchPowState,
    disabled: btn.disabled, label: btn.textContent, busy: "aria-busy" in btn.attrs,
    selector, event: e.type, bubbles: e.bubbles, ticks}));
}};
globalThis.document = {readyState: "complete", addEventListener() {},
  querySelectorAll: s => s === "input[data-latch-pow]" ? [input] : []};
(0, eval)(code);
`

// TestScriptSolutionVerifies runs the embedded script under Node (skipped
// when node is not installed) and checks that the token it writes is accepted
// by PoWVerifier, that it enables the submit button, and that it yields to the
// event loop while solving.
func TestScriptSolutionVerifies(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not on PATH; skipping the browser-script run")
	}
	dir := t.TempDir()
	scriptPath := filepath.Join(dir, "pow.js")
	harnessPath := filepath.Join(dir, "harness.js")
	if err := os.WriteFile(scriptPath, Script(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(harnessPath, []byte(nodeHarness), 0o600); err != nil {
		t.Fatal(err)
	}
	p := newTestPoW(t, 14, nil)
	ch, err := p.Challenge()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, harnessPath, scriptPath, ch.Value).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	var res struct {
		Value, State, Selector, Event, Label string
		Disabled, Bubbles, Busy              bool
		Ticks                                int
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("harness output %q: %v", out, err)
	}
	if !strings.HasPrefix(res.Value, ch.Value+TokenSeparator) {
		t.Fatalf("token %q does not start with the challenge", res.Value)
	}
	v := PoWVerifier{PoW: p, Guard: NewMemoryReplayGuard(MemoryReplayGuardConfig{})}
	if err := v.Verify(context.Background(), res.Value, ""); err != nil {
		t.Fatalf("script's token refused: %v", err)
	}
	if res.Disabled || res.Busy || res.Label != "Continue" || res.State != "solved" || res.Event != "latch-pow-solved" || !res.Bubbles {
		t.Fatalf("script result %+v", res)
	}
	if !strings.Contains(res.Selector, "[type=submit]") {
		t.Fatalf("submit selector %q", res.Selector)
	}
	if res.Ticks == 0 {
		t.Fatal("the event loop never ran while solving: the page would freeze")
	}
	// The script's own SHA-256 finds exactly what Go's does: the smallest
	// solution, for a last block of one and of two compressions.
	for _, kid := range []string{"k", strings.Repeat("k", 30), strings.Repeat("k", 60)} {
		ch := "p1." + kid + ".12.1999999999." + strings.Repeat("n", b64NonceLen) + "." + strings.Repeat("m", b64MACLen)
		want, err := Solve(ch)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.CommandContext(ctx, node, harnessPath, scriptPath, ch).CombinedOutput()
		if err != nil {
			t.Fatalf("node: %v\n%s", err, out)
		}
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("harness output %q: %v", out, err)
		}
		if res.Value != ch+TokenSeparator+want {
			t.Errorf("challenge of %d bytes: script found %q, Go %q", len(ch), res.Value[len(ch):], want)
		}
	}
}

// nodeBench solves runs challenges of difficulty d with the browser script
// and prints the CPU time it spent per attempt.
const nodeBench = `
const code = require("fs").readFileSync(process.argv[2], "utf8"), d = +process.argv[3], runs = +process.argv[4];
const crypto = require("crypto");
let i = 0, attempts = 0;
const c0 = process.cpuUsage();
function one() {
  const ch = "p1.abcdefgh." + d + ".1999999999." + crypto.randomBytes(16).toString("base64url") + "." + crypto.randomBytes(32).toString("base64url");
  const form = {dataset: {}, querySelectorAll: () => []};
  const input = {dataset: {latchPow: ch}, form, value: "", dispatchEvent() {
    attempts += +input.value.slice(ch.length + 1) + 1;
    if (++i < runs) return one();
    const c = process.cpuUsage(c0);
    console.log(JSON.stringify({attempts, cpuMicros: c.user + c.system}));
  }};
  globalThis.document = {readyState: "complete", querySelectorAll: () => [input]};
  (0, eval)(code);
}
one();
`

// BenchmarkScriptSolve runs the browser script under Node (skipped without
// node) at the default difficulty and reports the CPU time of one attempt
// and of a median solve (ln 2 · 2^difficulty attempts): the basis of the
// estimate for phones in the package documentation.
func BenchmarkScriptSolve(b *testing.B) {
	node, err := exec.LookPath("node")
	if err != nil {
		b.Skip("node not on PATH")
	}
	dir := b.TempDir()
	script, harness := filepath.Join(dir, "pow.js"), filepath.Join(dir, "bench.js")
	if err := os.WriteFile(script, Script(), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(harness, []byte(nodeBench), 0o600); err != nil {
		b.Fatal(err)
	}
	out, err := exec.Command(node, harness, script, strconv.Itoa(DefaultDifficulty), strconv.Itoa(b.N)).CombinedOutput()
	if err != nil {
		b.Fatalf("node: %v\n%s", err, out)
	}
	var res struct{ Attempts, CPUMicros float64 }
	if err := json.Unmarshal(out, &res); err != nil {
		b.Fatalf("harness output %q: %v", out, err)
	}
	perAttempt := res.CPUMicros * 1e3 / res.Attempts
	b.ReportMetric(perAttempt, "cpu-ns/attempt")
	b.ReportMetric(perAttempt*math.Ln2*float64(int(1)<<DefaultDifficulty)/1e6, "cpu-ms/median-solve")
}
