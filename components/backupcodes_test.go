package components

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestBackupCodesDownloadWithoutScript: the backup codes page offers the
// codes as a text file through a plain link, named after the app, holding
// every code one a line; Copy all and Print wait for the script.
func TestBackupCodesDownloadWithoutScript(t *testing.T) {
	codes := []string{"abcdef-ghijkl", "234567-abcdef"}
	page := render(t, MFABackupCodes(MFABackupCodesProps{Codes: codes, Branding: Branding{AppName: "Acme Corp"}, DoneURL: "/user?tab=security"}))
	m := regexp.MustCompile(`<a class="[^"]*" href="(data:text/plain;charset=utf-8,[^"]*)" download="([^"]*)">`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no download link:\n%s", page)
	}
	if m[2] != "acme-corp-backup-codes.txt" {
		t.Errorf("file name %q", m[2])
	}
	text, err := url.PathUnescape(strings.TrimPrefix(html.UnescapeString(m[1]), "data:text/plain;charset=utf-8,"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "Acme Corp backup codes\n\n") || !strings.Contains(text, "\nabcdef-ghijkl\n234567-abcdef\n") {
		t.Errorf("file content %q", text)
	}
	for _, b := range []string{"data-latch-backup-copy", "data-latch-backup-print"} {
		if !regexp.MustCompile(`<button [^>]*hidden ` + b).MatchString(page) {
			t.Errorf("%s is not hidden until the script shows it", b)
		}
	}
}
