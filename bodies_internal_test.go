package latch

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkLimitBody measures what bounding a body costs a request that
// reads a 1 KiB form: nothing but a wrapper when the length is announced,
// one bounded read into memory when it is not (chunked).
func BenchmarkLimitBody(b *testing.B) {
	body := bytes.Repeat([]byte("a"), 1024)
	read := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) })
	for _, c := range []struct {
		name    string
		h       http.Handler
		chunked bool
	}{
		{"bare", read, false},
		{"bounded", limitBody(maxBodyBytes, read), false},
		{"bounded_chunked", limitBody(maxBodyBytes, read), true},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			w := httptest.NewRecorder()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, "/sign-out", bytes.NewReader(body))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if c.chunked {
					r.ContentLength = -1
				}
				c.h.ServeHTTP(w, r)
			}
		})
	}
}
