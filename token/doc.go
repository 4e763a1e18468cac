// Package token mints and verifies Latch session tokens: short-lived JWTs (RFC 7519) signed
// with EdDSA (Ed25519, the default) or ES256, carrying the one documented claim set below.
//
// It is a leaf: it imports nothing else from Latch, so a service that only checks session
// tokens imports this package alone, points a [Verifier] at the Latch instance's JWKS URL
// with [NewRemoteVerifier], and reads [Claims]. The kernel uses the same package to sign
// ([KeySet.Sign]), to serve /.well-known/jwks.json ([KeySet.JWKS]) and to verify in its
// middleware ([NewVerifier] over the same [KeySet]).
//
// # Claims
//
// Every session token carries these claims and no others of these names; custom claims
// (JWT templates, plugins) go in [Claims.Extra] and may not reuse a name below in any
// letter case.
//
//	claim            Go field (type)                      meaning
//	---------------  -----------------------------------  ----------------------------------------------
//	sub              Subject (string)                     user ID (user_…); the impersonated user under act
//	sid              SessionID (string)                   session ID (sess_…); what a refresh re-examines
//	iss              Issuer (string)                      the instance's base URL; verified by exact match
//	azp              AuthorizedParty (string)             origin or native client ID the token was minted for
//	aud              Audience ([]string)                  optional; string or array on the wire
//	iat              IssuedAt (time.Time)                 when minted; not after now + leeway
//	nbf              NotBefore (time.Time)                not valid before, minus leeway
//	exp              ExpiresAt (time.Time)                required; not valid after, plus leeway (default TTL 60 s)
//	fva              FactorVerificationAge (*[2]int)      minutes since first / second factor verification, -1 = never
//	org_id           OrgID (string)                       active organization, empty when none
//	org_slug         OrgSlug (string)                     its slug
//	org_role         OrgRole (string)                     the subject's role in it (org:admin, org:member, …)
//	org_permissions  OrgPermissions ([]string)            permission keys granted there (org:invoices:read, …)
//	pla              Plan (string)                        billing plan key
//	fea              Features ([]string)                  billing feature keys granted by the plan
//	act              Actor (*Actor{Subject})              impersonation: {"sub": admin user ID} (RFC 8693 §4.1)
//	amr              AMR ([]string)                       authentication methods used (RFC 8176: pwd, otp, hwk, …)
//	v                Version (int)                        claim-set version, ClaimsVersion when minted
//	(any other)      Extra (map[string]any)               custom claims; round-trip through Sign and Verify
//
// Times are whole seconds since the epoch on the wire. Authorization helpers
// ([Claims.HasPermission], [Claims.HasRole], [Claims.HasFeature], [Claims.HasPlan],
// [Claims.SecondFactorAge], …) read only these fields and never allocate, so a check costs
// no I/O and well under a microsecond. A nil fva reads as "never verified", so a token
// minted without it fails every step-up check rather than passing it.
//
// # Verification rules
//
// [Verifier.Verify] accepts a token only if all of these hold, and checks them in this
// order; the first that fails decides the error (see [ErrTooLarge] and its siblings):
//
//  1. Size. At most Config.MaxTokenSize bytes (8 KiB by default), checked before the input
//     is split or decoded and without allocating (CVE-2025-30204) → ErrTooLarge.
//  2. Shape. Exactly three segments of unpadded, strictly canonical base64url; header and
//     payload JSON objects; registered claims of the documented types → ErrMalformed.
//  3. Algorithm. "alg" is in Config.Algorithms, which may hold only EdDSA and ES256: "none",
//     HS*, RS*, PS* and everything else are refused before a key is looked up
//     (CVE-2015-9235, CVE-2022-23540) → ErrAlgorithm.
//  4. Header. No "jwk", "jku", "x5u", "x5c", "x5t" or "x5t#S256" (keys are never taken from
//     or fetched because of a token, CVE-2018-0114) → ErrUnknownKey; no "crit" (no
//     extension is understood) and "typ" equal to Config.Type, by default "JWT"
//     ([TypeSession]; JWT-template tokens carry [TypeTemplate] and are refused) → ErrMalformed.
//  5. Key. "kid" names a key of the [KeySource] (at most [MaxKIDLength] bytes, compared
//     exactly; never used as a path, URL or query), and "alg" is that key's algorithm →
//     ErrUnknownKey, ErrAlgorithm.
//  6. Signature → ErrSignature.
//  7. Claims, only now that they are known to be ours: "iss" equals Config.Issuer byte for
//     byte → ErrIssuer; "azp" is one of Config.AuthorizedParties when that list is non-empty
//     → ErrAuthorizedParty; "aud" (string or array, CVE-2020-26160) names one of
//     Config.Audience if either is present → ErrAudience; "nbf" and "iat" are not later
//     than now + leeway → ErrNotYetValid; "exp" is present → ErrMalformed, and not earlier
//     than now − leeway → ErrExpired. A token exactly at the leeway boundary is accepted.
//
// Because steps 1–6 come first, a forged or tampered token is always reported as a
// signature, key or format error, never as ErrExpired (CVE-2024-51744): the middleware
// refreshes only on ErrExpired, from [Verifier.VerifyAllowExpired], which hands back claims
// only when every check but the expiry passed.
//
// # Keys and rotation
//
// A [KeySet] holds keys in three states — next, current, previous — that the kernel
// supplies with [KeySet.Set]. The current key signs; all three verify and are published in
// the JWKS. The rule is: publish before signing, keep until max TTL + leeway. A new key is
// published as next for at least the JWKS cache lifetime of remote verifiers before it
// becomes current, and a retired key stays as previous until every token it signed has
// expired (the longest TTL plus the verifiers' leeway). Keys are generated with
// [GenerateKey] and persisted as PKCS #8 / PKIX DER ([Key.MarshalPrivate],
// [ParsePrivateKey], …); storage and encryption of the private half are the kernel's.
//
// A [RemoteKeySet] reads a JWKS URL (OKP Ed25519 and EC P-256 keys only, [ParseJWKS]),
// caches it, and refetches on an unknown kid at most once per minimum interval (1 minute
// by default) with concurrent callers sharing one fetch, plus in the background when the
// cache is older than its maximum age. It contacts nothing but its configured URL.
//
// # Performance, and why this package decodes tokens itself
//
// Verification runs on every request that brings a token the middleware has not seen, so
// its cost is measured against its floor: a bare ed25519.Verify of a message as long as the
// token's signing input (BenchmarkEd25519Verify, and BenchmarkVerifyVsEd25519, which
// interleaves the two). golang-jwt's parser decoded every header into a map[string]any and
// the payload by reflection, and custom claims needed the payload decoded a second time:
// 58 allocations and about a third more than the floor. So the Verifier now splits the
// token, checks its base64url and decodes header and claims itself, once each, straight
// into typed fields (decode.go), and uses golang-jwt only for the signature check itself
// and for signing. The steps, their order and the errors are the ones golang-jwt applied,
// which FuzzVerifyMatchesGolangJWT checks against the old path kept in the tests. The
// decoder accepts what encoding/json accepts for the same fields, but refuses as
// ErrMalformed, where encoding/json would guess, a member named twice (for the names it
// reads) and a claim name that is a registered one only in another letter case
// (TestDecoderRefusesWhatEncodingJSONWouldGuess). For a typical 550-byte token:
//
//	BenchmarkVerify             10 allocs, 2016 B        (golang-jwt's path: 58, 3831 B)
//	BenchmarkVerifyVsEd25519    1.07–1.10 x-ed25519      (golang-jwt's path: 1.15–1.35)
//	BenchmarkVerifyES256        33 allocs                (most of them in crypto/ecdsa)
//
// Times depend on the machine and its load; compare the interleaved ratio rather than two
// separate runs. The middleware's cache of verified tokens makes a repeated token cost a
// map lookup anyway.
//
// # Concurrency
//
// [KeySet], [Verifier] and [RemoteKeySet] are safe for concurrent use. A KeySet swaps an
// immutable snapshot through an atomic pointer, so signing and verifying take no lock and a
// key lookup by kid does not allocate. There is no package-level mutable state.
package token
