package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// menuOpen is true while the user button's menu is open.
const menuOpen = `document.querySelector('details.latch-userbutton').open`

// TestUserButtonMenuBehaviour: the user button's menu closes on a click
// outside it and on Escape, which gives focus back to the button; every
// item has its icon; and the app's own list and link styles (its header
// indents lists and links) do not indent the items.
func TestUserButtonMenuBehaviour(t *testing.T) {
	a := newApp(t) // Session.MultiSession is on
	const email = "hedy@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)
	b.signIn("/sign-in", email, testPassword, signedIn)
	b.wantSignedIn(userID)

	b.openMenu()
	edges, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]float64](`(() => {
		const menu = document.querySelector('.latch-menu').getBoundingClientRect().left;
		return [...document.querySelectorAll('.latch-menu__items .latch-menu__item')].map(e => e.getBoundingClientRect().left - menu);
	})()`))
	if err != nil || len(edges) < 3 {
		t.Fatalf("menu items: %v %v", edges, err)
	}
	for i, x := range edges {
		if x < 0 || x > 2 {
			t.Errorf("menu item %d starts %.0f px into the menu, want flush (the app's styles reach it)", i, x)
		}
	}
	icons, _ := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`[...document.querySelectorAll('.latch-menu__items .latch-menu__item')].every(e => e.querySelector('svg.latch-icon'))`))
	if !icons {
		t.Error("a menu item has no icon")
	}
	if !b.visible(`.latch-menu a[href="/sign-in"]`) {
		t.Error("with multi-session on, the menu offers no Add account")
	}

	b.run(chromedp.Click(chromedp.CSS("h1")))
	b.poll("!"+menuOpen, 3*time.Second)

	b.openMenu()
	b.run(chromedp.KeyEvent(kb.Escape))
	b.poll("!"+menuOpen, 3*time.Second)
	focused, _ := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.activeElement === document.querySelector('summary.latch-userbutton__trigger')`))
	if !focused {
		t.Error("after Escape, focus is not on the user button")
	}

	b.openMenu()
	b.run(chromedp.Click(chromedp.CSS(".latch-menu__account")))
	if open, _ := chromedp.Run(b.ctx, chromedp.Evaluate[bool](menuOpen)); !open {
		t.Error("a click inside the menu closed it")
	}
}
