// Package e2e holds Latch's browser tests: they drive the hosted pages
// (/sign-up, /sign-in, /user) in a real headless Chromium through chromedp,
// against an app wired like examples/quickstart.
//
// The tests need a Chromium binary and skip without one:
//
//	LATCH_TEST_CHROME=/usr/bin/chromium go test ./e2e/
//
// TestAccessibility also needs axe-core's axe.min.js (from the npm package
// axe-core), named by LATCH_TEST_AXE, and skips without it:
//
//	(cd /tmp && npm pack axe-core@4 && tar xzf axe-core-4.*.tgz)
//	LATCH_TEST_CHROME=/usr/bin/chromium LATCH_TEST_AXE=/tmp/package/axe.min.js go test ./e2e/
//
// Every browser test saves a full-page screenshot of where it ended to
// e2e/screenshots/<TestName>.png (git-ignored), to look at after a run.
//
// The package is also where the module is tested whole, with every plugin
// it ships (the kernel's own tests cannot import them):
// TestOpenAPIDocumentsThePlugins and
// TestCrossSiteRequestForgeryRefusedOnEveryRoute need no browser.
package e2e
