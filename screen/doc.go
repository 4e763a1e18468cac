// Package screen decides whether an email address or a phone number may be
// used to sign up or be added to an account: it refuses disposable email
// domains, optionally refuses subaddresses ("ada+tag@example.com"), and
// applies an application's own allow and block lists.
//
// It is a leaf: it imports nothing from Latch, does no I/O, and keeps no
// mutable state. The kernel calls [Rules.CheckEmail] and [Rules.CheckPhone]
// after it has validated the syntax of an identifier and before it stores it;
// a refusal is a [*Rejection] with a stable code and a message that is safe to
// show to the person signing up.
//
// # Defaults
//
// The zero [Rules] blocks disposable email domains and nothing else:
//
//   - Disposable domains are refused because an address that stops working
//     within hours defeats what an email identifier is for (verification,
//     recovery, security notifications) and is the usual tool for farming
//     free trials and throwaway accounts. The embedded list (see
//     [DisposableDomains]) is the community-maintained list from
//     github.com/ivolo/disposable-email-domains (MIT); a subdomain of a listed
//     domain is disposable too. Set [Rules.AllowDisposable] to turn the check
//     off, [Rules.Disposable] to replace the list and
//     [Rules.ExtraDisposable] to extend it.
//   - Subaddresses are allowed because "+" is an ordinary character of an
//     address (RFC 5322, RFC 5233), many people use tags to filter or trace
//     mail, and only the receiving domain knows whether "ada+x" and "ada" are
//     the same mailbox; refusing them turns real users away while a
//     determined abuser simply uses another domain. Per-identifier rate limits
//     are the better answer to duplicate sign-ups; [Rules.BlockSubaddresses]
//     is there for applications that want it anyway.
//   - Allow and block lists are empty.
//
// # Matching
//
// Identifiers and list entries are compared in one canonical form, so that
// case, width and encoding variants cannot slip past a block (SECURITY.md
// item 19): the text is NFKC-normalised and lower-cased (and normalised
// again), the ideographic full stop is read as a dot, trailing dots of a
// domain are dropped, and domain labels written in Punycode ("xn--…") are
// decoded, so "MAILINATOR.COM.", "ｍａｉｌｉｎａｔｏｒ．ｃｏｍ" and
// "mailinator.com" are one domain, and "xn--mnchen-3ya.de" is "münchen.de".
// Phone numbers lose the separators people type ("+44 20 7946-0000").
//
// This is close to, but not, full IDNA processing (UTS #46): golang.org/x/net
// is not a dependency, so the package decodes Punycode itself (RFC 3492) and
// does not apply the IDNA deviation and validity rules (for example it does
// not reject code points IDNA disallows). A Punycode label whose decoded form
// is not already canonical is left in its ASCII form. Syntax validation is
// the kernel's job; screen only needs every spelling of one domain to compare
// equal, and never panics on malformed input.
//
// Canonical forms here are for screening only; uniqueness of stored
// identifiers is decided by the storage package.
package screen
