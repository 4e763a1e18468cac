package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/latchauth/latch/mfa/mfatest"
)

// TestBackupCodesCopyDownloadPrint: the page of new backup codes shows
// Copy all and Print once its script runs; Copy all puts every code on the
// clipboard and says so to assistive technology; Download holds them all.
func TestBackupCodesCopyDownloadPrint(t *testing.T) {
	a := newApp(t, onLocalhost, withPlugins)
	const email = "katherine@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)
	b.signIn("/sign-in", email, testPassword, signedIn)
	b.wantSignedIn(userID)
	b.openProfileSection(setUpTOTP, "link to set up an authenticator app")
	b.follow(setUpTOTP, beginTOTP)
	b.follow(beginTOTP, totpKey)
	secret := strings.ReplaceAll(b.text(totpKey), " ", "")
	b.submit(totpSetUpCode, mfatest.Code(t, secret, a.Clock.Now()), backupCodesDone)

	copyAll, printIt := `[data-latch-backup-copy]`, `[data-latch-backup-print]`
	b.poll(`!document.querySelector('[data-latch-backup-copy]').hidden`, 5*time.Second)
	if !b.visible(copyAll) || !b.visible(printIt) {
		t.Fatal("Copy all and Print do not show with scripts on")
	}
	codes, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.latch-backup__codes code')].map(e => e.textContent.trim())`))
	if err != nil || len(codes) == 0 {
		t.Fatalf("no codes shown: %v", err)
	}
	href := b.attr(`a[download]`, "href")
	file, _ := url.PathUnescape(strings.TrimPrefix(href, "data:text/plain;charset=utf-8,"))
	for _, c := range codes {
		if !strings.Contains(file, "\n"+c+"\n") {
			t.Errorf("the download lacks %s", c)
		}
	}
	b.screenshot("backup-codes")

	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.Call(b.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: name}, Setting: cdpbrowser.PermissionSettingGranted, Origin: a.URL}); err != nil {
			t.Fatalf("granting %s: %v", name, err)
		}
	}
	b.run(chromedp.Click(chromedp.CSS(copyAll)))
	b.poll(`document.querySelector('[data-latch-backup-status]').textContent === 'Copied'`, 5*time.Second)
	clip, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("reading the clipboard: %v", err)
	}
	if clip != file {
		t.Errorf("the clipboard holds %q, want the file's text %q", clip, file)
	}
}
