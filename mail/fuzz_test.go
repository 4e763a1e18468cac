package mail_test

import (
	"strings"
	"testing"

	"github.com/latchauth/latch/mail"
)

// FuzzValidateAddress: whatever the input, an accepted address holds no
// CR, LF or NUL, and neither does the header form a sender writes from it.
func FuzzValidateAddress(f *testing.F) {
	for _, s := range []string{
		"ada@example.com",
		"Ada Lovelace <ada@example.com>",
		"\"Lovelace, Ada\" <ada@example.com>",
		"=?UTF-8?Q?Zo=C3=AB?= <zoe@example.com>",
		"=?UTF-8?Q?A=0D=0ABcc:_x@y.z?= <ada@example.com>",
		"ada@example.com\r\nBcc: eve@example.org",
		"ada@example.com\nBcc: eve@example.org",
		"\"a\r\n b\"@example.com",
		"ada@[127.0.0.1]",
		"(comment\r\n )ada@example.com",
		"ada@example.com\x00",
		"ada@example.com, eve@example.org",
		"用户@例子.广告",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := mail.ParseAddress(s)
		if (err == nil) != (mail.ValidateAddress(s) == nil) {
			t.Fatalf("ParseAddress and ValidateAddress disagree on %q", s)
		}
		if err != nil {
			return
		}
		for name, v := range map[string]string{"input": s, "address": a.Address, "name": a.Name, "header": a.String()} {
			if strings.ContainsAny(v, "\r\n\x00") {
				t.Fatalf("accepted %q: %s %q contains CR, LF or NUL", s, name, v)
			}
		}
		if len(a.Address) > mail.MaxAddrSpecLen || !strings.Contains(a.Address, "@") {
			t.Fatalf("accepted %q: address %q", s, a.Address)
		}
	})
}
