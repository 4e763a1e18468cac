package latch_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/storage/memstore"
)

// countingBody is a request body of n bytes, made as it is read, that
// counts what the server read of it: a large upload costs the test no
// memory, and the test sees how much the server took in before refusing.
// Over a real connection the transport's writer reads it while the test
// looks, hence the atomic count.
type countingBody struct {
	r io.Reader
	n atomic.Int64
}

// read is how many bytes have been read so far.
func (b *countingBody) read() int64 { return b.n.Load() }

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n.Add(int64(n))
	return n, err
}

type repeatByte byte

func (c repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

// The parts of a multipart/form-data body with one file part, as a
// browser uploading a large file sends.
const (
	uploadBoundary = "latchtestboundary"
	uploadHead     = "--" + uploadBoundary + "\r\nContent-Disposition: form-data; name=\"session_id\"; filename=\"big.bin\"\r\n" +
		"Content-Type: application/octet-stream\r\n\r\n"
	uploadTail = "\r\n--" + uploadBoundary + "--\r\n"
)

// multipartUpload is a multipart/form-data body whose file is size bytes,
// and its Content-Type.
func multipartUpload(size int64) (*countingBody, string) {
	return &countingBody{r: io.MultiReader(strings.NewReader(uploadHead), io.LimitReader(repeatByte('a'), size), strings.NewReader(uploadTail))},
		"multipart/form-data; boundary=" + uploadBoundary
}

// multipartLength is the length of multipartUpload(size).
func multipartLength(size int64) int64 { return int64(len(uploadHead)) + size + int64(len(uploadTail)) }

// TestOversizedBodiesAreRefusedWithoutSpooling sends every route a body
// far larger than any route takes. Before, unauthenticated POST /sign-out,
// /v1/switch-session and /v1/verify parsed multipart bodies of any size
// and spooled their files to disk (r.FormValue keeps 32 MiB in memory and
// writes the rest to temporary files): a cheap way to fill a server's
// disk. Now every route refuses with 413 having read nothing, a body of
// unknown length is cut at the bound, and multipart is refused before
// anything parses it.
func TestOversizedBodiesAreRefusedWithoutSpooling(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where os.TempDir, and so multipart spooling, writes
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	signedOut, signedIn := e.browser(), e.browser()
	u, err := e.CreateUser(context.Background(), latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	latchtest.SignIn(t, e.Auth, signedIn, u.ID)

	const size = 40 << 20 // more than the 32 MiB that multipart parsing keeps in memory
	const bound = 64 << 10
	paths := strings.NewReplacer("{id}", "sess_x", "{template}", "x")
	for _, route := range e.Routes() {
		method, pattern, _ := strings.Cut(route, " ")
		path := paths.Replace(pattern)
		for _, b := range []*latchtest.Browser{signedOut, signedIn} {
			// A multipart upload with its length announced: refused on
			// the announcement.
			body, ct := multipartUpload(size)
			req := httptest.NewRequest(method, path, body)
			req.Header.Set("Content-Type", ct)
			req.ContentLength = multipartLength(size)
			if res := b.Do(req); res.StatusCode != http.StatusRequestEntityTooLarge || body.read() > 0 {
				t.Errorf("%s: multipart upload of 40 MiB: %d, read %d bytes", route, res.StatusCode, body.read())
			}
			// The same, chunked (no length): refused as multipart before
			// a byte of it is read.
			body, ct = multipartUpload(size)
			req = httptest.NewRequest(method, path, body)
			req.Header.Set("Content-Type", ct)
			req.ContentLength = -1
			if res := b.Do(req); res.StatusCode != http.StatusUnsupportedMediaType || body.read() > 0 {
				t.Errorf("%s: chunked multipart upload: %d, read %d bytes", route, res.StatusCode, body.read())
			}
			// A chunked form of 40 MiB: read up to the bound, then 413.
			body = &countingBody{r: io.MultiReader(strings.NewReader("session_id="), io.LimitReader(repeatByte('a'), size))}
			req = httptest.NewRequest(method, path, body)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.ContentLength = -1
			if res := b.Do(req); res.StatusCode != http.StatusRequestEntityTooLarge || body.read() > bound+4096 {
				t.Errorf("%s: chunked form of 40 MiB: %d, read %d bytes", route, res.StatusCode, body.read())
			}
		}
	}
	// Over a real connection, for the three routes that took any body
	// while signed out: the server answers 413 at once and the client
	// stops sending long before the end of the body.
	srv := httptest.NewServer(e.handler)
	defer srv.Close()
	for _, path := range []string{"/sign-out", "/v1/switch-session", "/v1/verify"} {
		body, ct := multipartUpload(size)
		req, err := http.NewRequest(http.MethodPost, srv.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ct)
		req.ContentLength = multipartLength(size)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("POST %s over the wire: %v", path, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge || body.read() >= size/2 {
			t.Errorf("POST %s over the wire: %d after the client sent %d of %d bytes", path, res.StatusCode, body.read(), req.ContentLength)
		}
	}

	// A small multipart body is refused too: no route takes one.
	body, ct := multipartUpload(100)
	req := httptest.NewRequest(http.MethodPost, "/sign-out", body)
	req.Header.Set("Content-Type", ct)
	if res := signedIn.Do(req); res.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("small multipart sign-out: %d", res.StatusCode)
	}
	if e.whoami(t, signedIn) == "signed-out" {
		t.Error("a refused sign-out signed the browser out")
	}

	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range entries {
		if strings.HasPrefix(f.Name(), "multipart-") {
			t.Errorf("a request body was spooled to disk: %s", f.Name())
		}
	}
}
