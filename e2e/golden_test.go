package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/mfa/mfatest"
	"github.com/latchauth/latch/orgs"
)

// The golden screenshots of the hosted pages: TestGoldenScreenshots takes
// each page in the light and the dark scheme, 1280 and 390 px wide, and
// compares it with docs/screenshots/<page>-<scheme>-<width>.png, which are
// also the README's pictures. After a deliberate change of the pages,
// rewrite them with one command (an image that still matches within the
// tolerance is kept as it is), and review the images in the diff:
//
//	LATCH_TEST_CHROME=/usr/bin/chromium go test ./e2e -run TestGoldenScreenshots -update
//
// The screenshots depend on Chromium's version and the machine's fonts:
// golden images made elsewhere may need rewriting once, on the machine
// that checks them.
var updateGolden = flag.Bool("update", false, "rewrite the golden screenshots in docs/screenshots that no longer match, instead of failing")

// goldenDir holds the golden screenshots, relative to this package.
const goldenDir = "../docs/screenshots"

// A screenshot matches its golden image when no more than
// goldenBudget of its pixels have a channel more than goldenTolerance
// away: enough for anti-aliasing, not for a moved block, a new colour or
// a changed line of text (0.02 % is 200 pixels of a 1280 × 800 page).
const (
	goldenTolerance = 24
	goldenBudget    = 0.0002
)

// goldenViewports are the viewports every page is taken in: a desktop and
// a phone. A screenshot is as wide as its viewport and at least as tall:
// it shows the whole page.
var goldenViewports = []struct{ W, H int64 }{{1280, 800}, {390, 844}}

// goldenTimeout bounds the whole walk through the pages, which is longer
// than one ordinary browser test.
const goldenTimeout = 5 * time.Minute

// freezeStyle removes what would make two screenshots of a page differ:
// animations, transitions and the blinking caret.
const freezeStyle = `*, *::before, *::after { animation: none !important; transition: none !important; caret-color: transparent !important; }`

// settle is evaluated before each screenshot: it freezes the page, scrolls
// to its top, and resolves once the fonts and images are loaded and two
// frames were drawn with the current scheme and viewport.
const settle = `(() => {
	if (!document.getElementById('golden-freeze')) {
		const s = document.createElement('style');
		s.id = 'golden-freeze';
		s.textContent = %q;
		document.head.appendChild(s);
	}
	window.scrollTo(0, 0);
	return document.fonts.ready
		.then(() => Promise.all([...document.images].map(i => i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; }))))
		.then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))));
})()`

// stopTimers cancels the page's pending timers (timeouts and intervals
// share their IDs, which count up from 1), so that nothing a script
// counts down changes between the screenshots of a page.
const stopTimers = `(() => { const last = setTimeout(() => {}, 0); for (let i = 1; i <= last; i++) clearTimeout(i); return true; })()`

// mask replaces, in the text under every element matching Selector, each
// match of the JavaScript regular expression Pattern with Text: for what
// differs from run to run (codes, links, dates, browser versions).
type mask struct{ Selector, Pattern, Text string }

// applyMasks is evaluated with the masks of a page, as JSON.
const applyMasks = `(ms => {
	for (const m of ms) {
		const re = new RegExp(m.Pattern, 'g');
		for (const root of document.querySelectorAll(m.Selector)) {
			const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
			for (let n = walk.nextNode(); n; n = walk.nextNode()) n.nodeValue = n.nodeValue.replace(re, m.Text);
		}
	}
	return true;
})(%s)`

// everyPageMasks apply to every screenshot: the times the pages show
// ("just now", a date, a countdown), which depend on when the test runs;
// browser versions, which change with Chromium's; links, which hold a
// token and the test server's port; and user IDs.
var everyPageMasks = []mask{
	{"body", `\b(just now|yesterday|an? (minute|hour|day) ago|\d+ (seconds?|minutes?|hours?|days?) ago)\b`, "2 hours ago"},
	{"body", `\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}, \d{4}\b`, "Mar 4, 2026"},
	{"body", `\b\d{4}-\d{2}-\d{2}\b`, "2026-03-04"},
	{"body", `\b\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}\b`, "4 March 2026"},
	{"body", `\b\d{2}:\d{2} UTC\b`, "09:00 UTC"},
	// A countdown, such as the wait before a code can be sent again.
	{"body", `\b\d{1,3} ?(s|sec|seconds?)\b`, "30 s"},
	{"body", `\b\d:\d{2}\b`, "0:30"},
	{"body", `\b(Chrome|Chromium|HeadlessChrome) \d+(\.\d+)*`, "Chrome"},
	{"body", `https?://\S+`, "https://example.com/v1/verify?token=ver_…"},
	{"body", `\buser_[0-9a-z]{26}\b`, "user_2x4hj7k9mn3pq6rs8tv0wyz1ab"},
}

// goldenRun takes the screenshots of one test: it compares each with its
// golden image, or rewrites it with -update.
type goldenRun struct {
	t *testing.T
	// out receives the screenshot and the diff of each mismatch:
	// LATCH_GOLDEN_OUT, or a directory of the test's.
	out string
	// taken lists the files written or compared, to find stale ones.
	taken map[string]bool
	// closest is the largest share of differing pixels of a screenshot
	// that matched, and its file: how near the budget a run came.
	closest     float64
	closestFile string
}

// prepare readies b for screenshots: the freezing style is added by
// script, which the pages' CSP refuses, and scrollbars overlay the page,
// so that a screenshot is as wide as the viewport.
func (g *goldenRun) prepare(b *browser) {
	g.t.Helper()
	if _, err := chromedp.Call(b.ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true}); err != nil {
		g.t.Fatalf("browser: %v", err)
	}
	if _, err := chromedp.Call(b.ctx, emulation.SetScrollbarsHidden, emulation.SetScrollbarsHiddenParams{Hidden: true}); err != nil {
		g.t.Fatalf("browser: %v", err)
	}
	b.goldenMedia("light")
	b.run(chromedp.EmulateViewport(goldenViewports[0].W, goldenViewports[0].H))
}

// capture takes the page in b's tab as name, in both schemes at every
// width, after masks, and puts the tab back to light at 1280 px.
func (g *goldenRun) capture(b *browser, name string, masks ...mask) {
	t := g.t
	t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](stopTimers)); err != nil {
		t.Fatalf("%s: stopping the timers: %v", name, err)
	}
	all, err := json.Marshal(append(slices.Clip(everyPageMasks), masks...))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](fmt.Sprintf(applyMasks, all))); err != nil {
		t.Fatalf("%s: masking: %v", name, err)
	}
	// The pointer rests where the last click left it, which would hover
	// whatever a page has there: move it to the corner, over nothing.
	b.run(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 0, 0))
	for _, scheme := range []string{"light", "dark"} {
		b.goldenMedia(scheme)
		for _, v := range goldenViewports {
			file := fmt.Sprintf("%s-%s-%d.png", name, scheme, v.W)
			b.run(chromedp.EmulateViewport(v.W, v.H))
			if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](fmt.Sprintf(settle, freezeStyle), chromedp.EvalAwaitPromise)); err != nil {
				t.Fatalf("%s: waiting for the page to settle: %v", file, err)
			}
			raw, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // quality 100 is PNG
			if err != nil {
				t.Fatalf("%s: taking the screenshot: %v", file, err)
			}
			g.check(file, raw)
		}
	}
	b.goldenMedia("light")
	b.run(chromedp.EmulateViewport(goldenViewports[0].W, goldenViewports[0].H))
}

// check compares the screenshot raw with the golden image file, or
// rewrites that with -update.
func (g *goldenRun) check(file string, raw []byte) {
	t := g.t
	t.Helper()
	g.taken[file] = true
	got, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: decoding the screenshot: %v", file, err)
	}
	golden := filepath.Join(goldenDir, file)
	want, err := readPNG(golden)
	if err != nil && !*updateGolden {
		t.Errorf("%s: no golden image (%v); run with -update to make it", file, err)
		return
	}
	var d imageDiff
	if err == nil {
		d, err = compareImages(want, got, goldenTolerance)
	}
	if *updateGolden {
		// A page that still matches keeps its image, so that a
		// regeneration rewrites only the pages that changed and the
		// commit shows just those.
		if err != nil || d.Fraction() > goldenBudget {
			if err := writePNG(golden, got); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
		}
		return
	}
	if err == nil && d.Fraction() <= goldenBudget {
		if d.Fraction() > g.closest {
			g.closest, g.closestFile = d.Fraction(), file
		}
		return
	}
	base := filepath.Join(g.out, strings.TrimSuffix(file, ".png"))
	if werr := writePNG(base+".actual.png", got); werr != nil {
		t.Errorf("%s: saving the screenshot: %v", file, werr)
	}
	if err != nil {
		t.Errorf("%s: %v; the screenshot is %s.actual.png", file, err, base)
		return
	}
	if werr := writePNG(base+".diff.png", d.Image); werr != nil {
		t.Errorf("%s: saving the diff: %v", file, werr)
	}
	t.Errorf("%s: %d of %d pixels (%.2f%%) differ from the golden image, more than %.2f%%; see %s.actual.png and %s.diff.png",
		file, d.Differing, d.Total, 100*d.Fraction(), 100*goldenBudget, base, base)
}

// goldenMedia makes the tab prefer scheme ("light" or "dark") and reduced
// motion, for the page and the pages loaded later.
func (b *browser) goldenMedia(scheme string) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}, {Name: "prefers-reduced-motion", Value: "reduce"}},
	}); err != nil {
		b.t.Fatalf("browser: emulating %s media: %v", scheme, err)
	}
}

// TestGoldenScreenshots walks through the hosted pages as two people would
// (one signing up, one with an account, an authenticator app and an
// organization) and compares each page, light and dark, 1280 and 390 px
// wide, with its golden image in docs/screenshots (see updateGolden for
// the command that rewrites them). The user data is fixed, and what
// changes from run to run (codes, keys, dates, browser versions) is
// replaced by fixed text before each screenshot.
func TestGoldenScreenshots(t *testing.T) {
	var op *orgs.Plugin
	a := newApp(t, onLocalhost, withPlugins, func(c *latch.Config) {
		op = orgs.New(orgs.Config{})
		c.Plugins = append(c.Plugins, op)
	})
	ctx := context.Background()
	const email = "ada@example.com"
	userID := a.createUser(t, email, testPassword)
	first, last := "Ada", "Lovelace"
	if _, err := a.Auth.UpdateUser(ctx, userID, latch.UpdateUserParams{FirstName: &first, LastName: &last}); err != nil {
		t.Fatalf("naming the user: %v", err)
	}
	if _, err := op.CreateOrganization(ctx, userID, orgs.CreateParams{Name: "Acme Inc"}); err != nil {
		t.Fatalf("creating the organization: %v", err)
	}
	out := os.Getenv("LATCH_GOLDEN_OUT")
	if out == "" {
		out = t.TempDir()
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	g := &goldenRun{t: t, out: out, taken: map[string]bool{}}
	b := newBrowserWithin(t, a, "", goldenTimeout)
	g.prepare(b)
	start := time.Now()

	// Signing in: the identifier, the password, a wrong one, a code.
	b.open("/sign-in", "#latch-signin-identifier")
	g.capture(b, "sign-in")
	b.submit("#latch-signin-identifier", email, "#latch-signin-password")
	g.capture(b, "sign-in-password")
	b.submit("#latch-signin-password", "not-the-right-password-9", `[role="alert"]`)
	g.capture(b, "sign-in-error")
	b.click(anotherMethod, `button[name="strategy"][value="email_code"]`)
	b.click(`button[name="strategy"][value="email_code"]`, "#latch-signin-code")
	g.capture(b, "sign-in-code")

	// A forgotten password, reset with an emailed code.
	b.open("/sign-in", "#latch-signin-identifier")
	b.submit("#latch-signin-identifier", email, "#latch-signin-password")
	b.click(`button[value="forgot_password"]`, "#latch-signin-code")
	b.submit("#latch-signin-code", a.code(t, email), "#latch-signin-new-password")
	g.capture(b, "reset-password")

	// A magic link: the page saying it was sent, then the page it opens,
	// and the email, as a mail client shows it.
	b.open("/sign-in", "#latch-signin-identifier")
	b.submit("#latch-signin-identifier", email, "#latch-signin-password")
	b.click(anotherMethod, emailLinkMethod)
	b.click(emailLinkMethod, linkSent)
	g.capture(b, "link-sent")
	link := a.link(t, email)
	b.open(strings.TrimPrefix(link, a.URL), verifyButton)
	g.capture(b, "link-landing")
	// The same link opened in another browser names the one that asked.
	other := newBrowserWithin(t, a, "other", goldenTimeout)
	g.prepare(other)
	other.open(strings.TrimPrefix(link, a.URL), continueHere)
	g.capture(other, "link-elsewhere")
	html := a.Mail.Last().HTML
	mail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(html))
	}))
	t.Cleanup(mail.Close)
	b.run(chromedp.Navigate(mail.URL), chromedp.WaitVisible(chromedp.CSS("a[href]")))
	g.capture(b, "mail-sign-in-link")

	// Signing up: the form, once the bot check let it be sent, and the
	// step that asks for the emailed code.
	b.open("/sign-up", "#latch-signup-email_address")
	const signUp = `form:has(input[name="intent"][value="sign_up"]) button.latch-button--primary`
	b.poll(`!document.querySelector('`+signUp+`').disabled`, 30*time.Second)
	g.capture(b, "sign-up")
	b.fill("#latch-signup-email_address", "grace@example.com")
	b.fill("#latch-signup-password", testPassword)
	b.click(signUp, "#latch-signup-code")
	g.capture(b, "sign-up-verify")

	// Signed in: the user button's menu, the account page's panes.
	b.signIn("/sign-in", email, testPassword, signedIn)
	b.wantSignedIn(userID)
	b.openMenu()
	g.capture(b, "userbutton-menu")
	b.open("/user", ".latch-profile")
	g.capture(b, "profile")
	b.open("/user?tab=security", ".latch-profile")
	g.capture(b, "security")

	// An authenticator app: the new backup codes, shown once, then its
	// removal's question on the Security pane.
	b.follow(setUpTOTP, beginTOTP)
	b.follow(beginTOTP, totpKey)
	secret := strings.ReplaceAll(b.text(totpKey), " ", "")
	b.submit(totpSetUpCode, mfatest.Code(t, secret, a.Clock.Now()), backupCodesDone)
	b.poll(`!document.querySelector('[data-latch-backup-copy]').hidden`, 5*time.Second)
	g.capture(b, "backup-codes", mask{".latch-backup__codes code", ".+", "xxxxxx-xxxxxx-xxxxxx-xxxxxx"})
	b.follow(backupCodesDone, removeTOTP)
	b.run(chromedp.Click(chromedp.CSS(removeTOTP)), chromedp.WaitVisible(chromedp.CSS(removeTOTPYes)))
	g.capture(b, "security-confirm")

	// The organizations: the list, and the organization's page.
	b.open("/organizations", ".latch-card")
	g.capture(b, "organizations")
	o, err := op.GetOrganizationBySlug(ctx, "acme-inc")
	if err != nil {
		t.Fatal(err)
	}
	b.open("/organizations/"+o.ID, ".latch-card")
	g.capture(b, "organization")

	// Signing in again asks for the app's code.
	b.open("/", signedIn)
	b.signOut()
	b.signIn("/sign-in", email, testPassword, factorCode)
	g.capture(b, "sign-in-second-factor")

	t.Logf("%d screenshots in %v", len(g.taken), time.Since(start).Round(100*time.Millisecond))
	if !*updateGolden {
		if g.closest > 0 {
			t.Logf("the closest to failing: %s, %.3f%% of its pixels differ", g.closestFile, 100*g.closest)
		} else if !t.Failed() {
			t.Log("every screenshot matches its golden image, with no pixel beyond the tolerance")
		}
		return
	}
	// A page no longer taken leaves no stale golden image behind
	// (docs/screenshots holds nothing else).
	old, _ := filepath.Glob(filepath.Join(goldenDir, "*.png"))
	for _, f := range old {
		if !g.taken[filepath.Base(f)] {
			t.Logf("removing %s, which no page is taken as", filepath.Base(f))
			_ = os.Remove(f)
		}
	}
}
