package latch

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode"
)

// minSecretLength is the shortest Config.Secrets entry accepted: 256 bits.
const minSecretLength = 32

// keyring derives, from the application's secrets, the keys that seal
// cookies and encrypt signing keys at rest. The first secret seals; every
// secret opens, so putting a new secret first rotates without logging
// anybody out, and dropping an old one later retires it.
type keyring struct {
	secrets [][]byte
}

// derive returns a 32-byte key for one purpose from secret, so that one
// application secret never serves two uses directly.
func derive(secret []byte, purpose string) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, "latch/"+purpose, 32)
	if err != nil {
		panic("latch: hkdf: " + err.Error()) // only for lengths sha256 cannot produce
	}
	return k
}

// keyID names a secret without revealing it, so stored ciphertexts say
// which secret opens them.
func keyID(secret []byte) string {
	return hex.EncodeToString(derive(secret, "key-id")[:8])
}

// seal encrypts plaintext for purpose under the first secret (AES-256-GCM
// with a random nonce) and returns the ciphertext and the ID of the secret.
func (k *keyring) seal(rand io.Reader, purpose string, plaintext []byte) ([]byte, string, error) {
	aead, err := newAEAD(derive(k.secrets[0], purpose))
	if err != nil {
		return nil, "", err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return nil, "", err
	}
	return aead.Seal(nonce, nonce, plaintext, []byte(purpose)), keyID(k.secrets[0]), nil
}

// errNoSecret means no configured secret opens a ciphertext: its secret was
// removed from Config.Secrets.
var errNoSecret = errors.New("latch: no configured secret opens this ciphertext")

// open decrypts what seal produced, with the secret named by id.
func (k *keyring) open(purpose, id string, ciphertext []byte) ([]byte, error) {
	for _, s := range k.secrets {
		if keyID(s) != id {
			continue
		}
		aead, err := newAEAD(derive(s, purpose))
		if err != nil {
			return nil, err
		}
		if len(ciphertext) < aead.NonceSize() {
			return nil, errors.New("latch: ciphertext too short")
		}
		return aead.Open(nil, ciphertext[:aead.NonceSize()], ciphertext[aead.NonceSize():], []byte(purpose))
	}
	return nil, errNoSecret
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// ParseSecrets decodes application secrets written as base64 (standard or
// URL alphabet, padded or not), as `openssl rand -base64 32` prints them,
// separated by commas, spaces or newlines; the first one seals. It is how an
// app reads Config.Secrets from an environment variable or a mounted secret:
//
//	secrets, err := latch.ParseSecrets(os.Getenv("LATCH_SECRETS"))
//
// Each secret must decode to at least 32 bytes. Errors name the position of
// a bad entry, never its value.
func ParseSecrets(s string) ([][]byte, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	if len(fields) == 0 {
		return nil, errors.New("latch: no secret given; generate one with `openssl rand -base64 32`")
	}
	out := make([][]byte, 0, len(fields))
	for i, f := range fields {
		b, err := decodeSecret(f)
		if err != nil {
			return nil, fmt.Errorf("latch: secret %d is not base64; generate one with `openssl rand -base64 32`", i+1)
		}
		if len(b) < minSecretLength {
			return nil, fmt.Errorf("latch: secret %d is %d bytes; at least %d are required (`openssl rand -base64 32`)", i+1, len(b), minSecretLength)
		}
		out = append(out, b)
	}
	return out, nil
}

func decodeSecret(s string) ([]byte, error) {
	var last error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.Strict().DecodeString(s)
		if err == nil {
			return b, nil
		}
		last = err
	}
	return nil, last
}

// newSecretText returns a fresh secret in the form ParseSecrets reads.
func newSecretText(rand io.Reader) (string, error) {
	b := make([]byte, minSecretLength)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// loadSecretsFile reads Config.SecretsFile. A missing file is created with a
// fresh secret only when create is true (a development BaseURL): in
// production a missing file is a deployment mistake, and a secret minted
// per instance would sign people out whenever they reached another one.
func loadSecretsFile(path string, create bool, rand io.Reader) (secrets [][]byte, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		text, err := newSecretText(rand)
		if err != nil {
			return nil, false, fmt.Errorf("generating a secret for Config.SecretsFile: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, fmt.Errorf("creating Config.SecretsFile: %w", err)
		}
		if _, err := f.WriteString(text + "\n"); err != nil {
			f.Close()
			return nil, false, fmt.Errorf("writing Config.SecretsFile: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, false, fmt.Errorf("writing Config.SecretsFile: %w", err)
		}
		s, err := ParseSecrets(text)
		return s, true, err
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("Config.SecretsFile %q does not exist; create it with `openssl rand -base64 32 > %s` (it is created for you only when BaseURL is http://localhost)", path, path)
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading Config.SecretsFile: %w", err)
	}
	s, err := ParseSecrets(string(b))
	if err != nil {
		return nil, false, fmt.Errorf("Config.SecretsFile %q: %w", path, err)
	}
	return s, false, nil
}

// secretIDs names the configured secrets without revealing them, for logs.
func (k *keyring) secretIDs() []string {
	ids := make([]string, len(k.secrets))
	for i, s := range k.secrets {
		ids[i] = keyID(s)
	}
	return ids
}
