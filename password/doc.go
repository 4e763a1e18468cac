// Package password hashes, verifies and vets passwords for Latch. It is a leaf: it imports
// nothing else from Latch.
//
// # Hashing
//
// A [Hasher] (from [NewHasher]; the zero [Config] is the recommended setting) writes
// Argon2id by default, with OWASP's parameters m=19 MiB, t=2, p=1, a 16-byte random salt and
// a 32-byte key, as a PHC string with unpadded standard base64:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// Config.Algorithm = [Bcrypt] (cost 12 by default) writes instead
//
//	$latch-bcrypt-sha256$v=1$<16-byte HMAC key, base64>$2b$12$<bcrypt salt and hash>
//
// where bcrypt is given base64(HMAC-SHA256(key, password)), 44 bytes. bcrypt reads at most
// 72 bytes and x/crypto's verifier silently ignores the rest, so without the pre-hash two
// long passwords sharing a 72-byte prefix would be the same password (the Okta 2024
// advisory; SECURITY.md row 16). The per-hash key prevents matching the pre-hash against
// unsalted SHA-256 leaks ("shucking").
//
// Every password is NFKC-normalised before hashing and before verifying (NIST 800-63B
// §3.1.1.2), so a composed and a decomposed "é" are the same password. No other
// transformation is applied: case and spaces are preserved. Inputs over [MaxInputBytes]
// (4 KiB) are refused before any work.
//
// [Hasher.Verify] returns (ok, needsRehash, err). needsRehash asks the caller to store
// Hash(pw) now that it knows pw: for imported formats always, and for native ones when the
// scheme differs from the configuration or the parameters are weaker (or the Argon2 lane
// count differs), so raising parameters upgrades users at their next sign-in
// (SECURITY.md items 7 and 62). A wrong password is [ErrMismatch], so a caller that only
// checks err fails closed.
//
// Hashing and verifying take a slot of a semaphore (Config.MaxConcurrent, default
// GOMAXPROCS), waiting for it no longer than the context allows, so the memory in use is
// bounded (about 19 MiB per Argon2id operation) however many sign-ins arrive at once.
//
// [Hasher.DummyVerify] costs what a Verify against a current hash costs, and is what the
// caller runs when the account does not exist or has no password, so response time does
// not reveal which accounts exist (SECURITY.md item 11, row 3; CVE-2025-6011).
//
// # Imported hashes
//
// To let applications migrate users, Verify also accepts these formats, parsed strictly
// (exact field counts, parameters by name in the order shown, canonical decimals, strict
// base64) and within DoS bounds (at most [MaxEncodedLength] bytes; see each line):
//
//	$argon2id$v=19$m=M,t=T,p=P$<salt>$<key>     Argon2id, version 19 only; M ≤ 1 GiB (in KiB),
//	$argon2i$v=19$m=M,t=T,p=P$<salt>$<key>      M ≥ 8·P, 1 ≤ T ≤ 100, 1 ≤ P ≤ 64; salt 8–64 bytes,
//	                                            key 16–128 bytes; unpadded standard base64
//	$2a$CC$…  $2b$CC$…  $2y$CC$…                bcrypt, 60 characters, cost 04–16; a password
//	                                            over 72 bytes never matches (no truncation)
//	$scrypt$ln=L,r=R,p=P$<salt>$<key>           scrypt with N = 2^L; 1 ≤ L ≤ 20, 1 ≤ R ≤ 32,
//	                                            1 ≤ P ≤ 16, 128·R·N ≤ 1 GiB; as Argon2 otherwise
//	$pbkdf2-sha256$i=I[,l=K]$<salt>$<key>       PBKDF2-HMAC-SHA256/512, PHC form (RustCrypto);
//	$pbkdf2-sha512$i=I[,l=K]$<salt>$<key>       1 ≤ I ≤ 10,000,000; K, if present, = key length
//	$pbkdf2-sha256$I$<salt>$<key>               passlib's form: adapted base64 ('.' for '+')
//	pbkdf2_sha256$I$<salt>$<base64 key>         Django: salt used as text, padded standard
//	pbkdf2_sha1$I$<salt>$<base64 key>           base64 key of exactly one digest
//	argon2$argon2id$v=19$m=M,t=T,p=P$<salt>$<key>  Django's Argon2 (argon2id or argon2i), as
//	                                            the Argon2 lines above
//	scrypt$N$<salt>$R$P$<base64 key>            Django's scrypt: N = 2^L itself, salt used as
//	                                            text, padded standard base64; bounds as scrypt
//	bcrypt$$2b$CC$…                             Django's bcrypt, as bcrypt above
//	bcrypt_sha256$$2b$CC$…                      Django's bcrypt of hex(SHA-256(password)): every
//	                                            byte counts, however long
//
// [CheckHash] tells whether a hash is one of these without hashing anything, so an import
// can vet every row first.
//
// argon2d, Argon2 version 0x10, $2x$ and anything else are [ErrUnsupportedHash]; a string
// that breaks a rule above is [ErrMalformedHash]. Imported hashes always report
// needsRehash. Their producers did not normalise, so when the NFKC form of a password does
// not match and differs from the raw input, the raw input is tried as well.
//
// # Policy
//
// [Policy] follows NIST 800-63B §3.1.1.2 and ASVS 5.0 §6.2: length from 8 (set
// MinLength: 15 where the password is the only factor, as NIST rev 4 requires) to 256
// Unicode code points counted after NFKC, with the 4 KiB byte cap checked first; every
// character allowed, spaces and emoji included; no composition rules, since they push
// people to predictable patterns; and refusal of passwords that contain context words
// (app name, the user's names, email local part), appear on an embedded list of about
// 14,000 common passwords (data/common-passwords.txt, see its header for provenance), or,
// with [HIBP] set, appear in Have I Been Pwned's breach corpus. Refusals are
// [*PolicyError] with a stable Code and a message fit for the user.
//
// The HIBP check sends only the first 5 hex characters of the password's SHA-1 (the
// k-anonymity range API) and asks for padded responses. If the service fails, Check
// answers from the offline list alone, logs a warning and reports the fallback in
// [Report]: sign-up is never blocked by an outage, and the degradation is never silent.
//
// There is deliberately no expiry, hint or security-question setting (SECURITY.md item 5).
package password
