package latch

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
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
