// Package passkeystest is a virtual WebAuthn authenticator for tests of an
// app that uses the passkeys plugin: it answers the creation and request
// options the plugin's JSON API hands out, as a browser and an
// authenticator would together, without a browser. It makes ECDSA P-256
// keys and "none" attestations (CBOR written by hand), so its answers are
// real ones, which the plugin checks exactly as it checks a browser's.
//
//	key := &passkeystest.Authenticator{Origin: "https://app.example"}
//	credentialJSON, cred, err := key.Create(creationOptionsJSON)
//	…
//	assertionJSON, err := key.Get(requestOptionsJSON, cred)
//
// Its fields make it misbehave on purpose (the wrong origin, no user
// verification, a cloned credential), to test that the server refuses.
package passkeystest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
)

// Authenticator flags (WebAuthn §6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagBS = 0x10
	flagAT = 0x40
)

// Authenticator plays a browser and an authenticator. The zero value with
// Origin set is an honest, user-verifying authenticator of device-bound
// passkeys. It is not safe for concurrent use.
type Authenticator struct {
	// Origin is the origin the "browser" reports in the client data.
	Origin string
	// RPID, when set, is hashed into the authenticator data instead of
	// the RP ID of the options (an authenticator fooled about the site).
	RPID string
	// NoUV leaves the user-verified flag unset.
	NoUV bool
	// Synced makes backup-eligible, backed-up credentials (a synced
	// passkey); otherwise they are device-bound.
	Synced bool
	// Counter makes credentials count their signatures; otherwise they
	// always report 0, as synced passkeys do.
	Counter bool
	// NextID, when set, is the ID of the next credential created.
	NextID []byte
	// Transports are reported with a new credential.
	Transports []string
}

// Credential is a credential the authenticator made: its private key and
// signature counter live here, so a test can keep, clone or drop it.
type Credential struct {
	ID         []byte
	Key        *ecdsa.PrivateKey
	UserHandle []byte
	Count      uint32
	Synced     bool
}

// Clone is a copy of c with the same key and counter: a cloned
// authenticator.
func (c *Credential) Clone() *Credential {
	d := *c
	return &d
}

var b64 = base64.RawURLEncoding

type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

func parseOptions(raw []byte) (*options, error) {
	var o options
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, err
	}
	if o.PublicKey.Challenge == "" {
		return nil, errors.New("options without a challenge")
	}
	return &o, nil
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}

func (a *Authenticator) flags(c *Credential) byte {
	f := byte(flagUP)
	if !a.NoUV {
		f |= flagUV
	}
	if c.Synced {
		f |= flagBE | flagBS
	}
	return f
}

func (a *Authenticator) authData(rpID string, flags byte, count uint32, attested []byte) []byte {
	if a.RPID != "" {
		rpID = a.RPID
	}
	h := sha256.Sum256([]byte(rpID))
	out := append(h[:], flags)
	out = binary.BigEndian.AppendUint32(out, count)
	return append(out, attested...)
}

// Create answers creation options (navigator.credentials.create) and
// returns the credential's JSON.
func (a *Authenticator) Create(optionsJSON []byte) ([]byte, *Credential, error) {
	o, err := parseOptions(optionsJSON)
	if err != nil {
		return nil, nil, err
	}
	user, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		return nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	id := a.NextID
	if id == nil {
		id = make([]byte, 32)
		_, _ = rand.Read(id)
	}
	a.NextID = nil
	c := &Credential{ID: id, Key: key, UserHandle: user, Synced: a.Synced}
	pub, err := key.PublicKey.Bytes() // uncompressed: 0x04 | X | Y
	if err != nil {
		return nil, nil, err
	}
	cose := cborMap(5)
	cose = cborInt(cborInt(cose, 1), 2)  // kty: EC2
	cose = cborInt(cborInt(cose, 3), -7) // alg: ES256
	cose = cborInt(cborInt(cose, -1), 1) // crv: P-256
	cose = cborBytes(cborInt(cose, -2), pub[1:33])
	cose = cborBytes(cborInt(cose, -3), pub[33:65])
	aaguid := make([]byte, 16)
	attested := append(aaguid, byte(len(id)>>8), byte(len(id)))
	attested = append(append(attested, id...), cose...)
	if a.Counter {
		c.Count = 0 // a new credential has signed nothing yet
	}
	ad := a.authData(o.PublicKey.RP.ID, a.flags(c)|flagAT, c.Count, attested)
	att := cborMap(3)
	att = cborText(cborText(att, "fmt"), "none")
	att = cborMap0(cborText(att, "attStmt"))
	att = cborBytes(cborText(att, "authData"), ad)
	transports := a.Transports
	if transports == nil {
		transports = []string{"internal"}
	}
	out, err := json.Marshal(map[string]any{
		"id": b64.EncodeToString(id), "rawId": b64.EncodeToString(id), "type": "public-key",
		"clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData("webauthn.create", o.PublicKey.Challenge)),
			"attestationObject": b64.EncodeToString(att),
			"transports":        transports,
		},
	})
	return out, c, err
}

// Get answers request options (navigator.credentials.get) with c and
// returns the assertion's JSON.
func (a *Authenticator) Get(optionsJSON []byte, c *Credential) ([]byte, error) {
	o, err := parseOptions(optionsJSON)
	if err != nil {
		return nil, err
	}
	if a.Counter {
		c.Count++
	}
	ad := a.authData(o.PublicKey.RPID, a.flags(c), c.Count, nil)
	cd := a.clientData("webauthn.get", o.PublicKey.Challenge)
	h := sha256.Sum256(cd)
	sig, err := ecdsa.SignASN1(rand.Reader, c.Key, sha256Sum(append(append([]byte(nil), ad...), h[:]...)))
	if err != nil {
		return nil, err
	}
	resp := map[string]any{
		"clientDataJSON":    b64.EncodeToString(cd),
		"authenticatorData": b64.EncodeToString(ad),
		"signature":         b64.EncodeToString(sig),
	}
	if c.UserHandle != nil {
		resp["userHandle"] = b64.EncodeToString(c.UserHandle)
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.ID), "rawId": b64.EncodeToString(c.ID), "type": "public-key",
		"clientExtensionResults": map[string]any{}, "response": resp,
	})
}

func sha256Sum(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

// CBOR (RFC 8949), only what an attestation object needs.

func cborHead(b []byte, major byte, n uint64) []byte {
	switch {
	case n < 24:
		return append(b, major<<5|byte(n))
	case n < 1<<8:
		return append(b, major<<5|24, byte(n))
	case n < 1<<16:
		return binary.BigEndian.AppendUint16(append(b, major<<5|25), uint16(n))
	default:
		return binary.BigEndian.AppendUint32(append(b, major<<5|26), uint32(n))
	}
}

func cborInt(b []byte, v int64) []byte {
	if v < 0 {
		return cborHead(b, 1, uint64(-1-v))
	}
	return cborHead(b, 0, uint64(v))
}

func cborBytes(b, v []byte) []byte { return append(cborHead(b, 2, uint64(len(v))), v...) }
func cborText(b []byte, s string) []byte {
	return append(cborHead(b, 3, uint64(len(s))), s...)
}
func cborMap(n int) []byte     { return cborHead(nil, 5, uint64(n)) }
func cborMap0(b []byte) []byte { return cborHead(b, 5, 0) }
