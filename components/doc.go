// Package components renders latch's user interface as templ components:
// SignIn, SignUp, UserButton, UserProfile, the SignedIn/SignedOut/Protect
// helpers and Page, a complete HTML document for hosted pages; and, for
// the organizations plugin, OrganizationSwitcher, OrganizationProfile,
// CreateOrganization and OrganizationList (form field names in the
// OrgField* constants).
//
// Props: every component is a pure function of one plain view-model struct.
// The kernel fills the props (steps, values, errors, URLs) and handles the
// forms, which post to the action URLs the props carry; an empty URL hides
// the control that would use it. The package imports nothing from latch.
//
// No JavaScript: everything is a plain <form method="post">; menus use
// <details>/<summary>. The only script is the optional proof-of-work helper
// on sign-up, and the form still renders and submits without it.
//
// Restyling: class names prefixed "latch-" are stable. The default stylesheet
// (Stylesheet, StylesheetInline, CSS) reads CSS custom properties named
// --latch-*, which Appearance sets; light, dark and "auto" themes are built in.
//
// Translating: every string comes from a Locale table. English and French are
// complete; Localize overlays an application's own wording on either. The
// kernel builds one table per language from these, the plugins' strings
// (Host.AddStrings) and the application's overrides, and its pages, its
// link landing page and its messages all read it.
package components
