package benchmarks

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
)

// Case is one variant, set up and ready to measure: a handler (the
// library's middleware in front of a handler that checks the principal)
// and the requests to send it.
type Case struct {
	// Handler answers 204 when it found the expected principal (or, for the
	// signed-out variants, none) and 401 otherwise.
	Handler http.Handler
	// Requests are sent in turn, from the first again after the last. Most
	// variants have one; the verify variants have more than a token cache
	// holds, so that every request checks a signature.
	Requests []*http.Request
	// NewRequest, when set, makes the i-th request instead (for requests
	// with a body, which a handler consumes).
	NewRequest func(i int) *http.Request
	// Want is the status the handler must answer; 0 means 204.
	Want int
	// WantBody, when set, must occur in the answer's body.
	WantBody string
}

// Variant names a way of authenticating a request and sets it up.
type Variant struct {
	Name string
	// Note is shown beside the figures (what the variant does, or why it
	// cannot run here).
	Note string
	// Setup builds the case; an error wrapping ErrNoPostgres means the
	// variant needs a server that is not configured.
	Setup func(ctx context.Context, e *Env) (*Case, error)
}

// principal is the handler every variant ends in: it asks the library who
// is calling (get) and answers 204 when that is want, 401 otherwise.
func principal(want string, get func(r *http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if get(r) != want {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// recorder is a reusable http.ResponseWriter that keeps only the status,
// so that the harness adds nothing of its own to each variant's
// allocations.
type recorder struct {
	h    http.Header
	code int
	keep bool // keep the body
	body []byte
}

func newRecorder() *recorder { return &recorder{h: make(http.Header)} }

func (w *recorder) Header() http.Header { return w.h }
func (w *recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *recorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.keep {
		w.body = append(w.body, p...)
	}
	return len(p), nil
}
func (w *recorder) reset() {
	clear(w.h)
	w.code = 0
	w.body = w.body[:0]
}

func (c *Case) writer() *recorder {
	w := newRecorder()
	w.keep = c.WantBody != ""
	return w
}

// do sends the i-th request once and returns an error unless the handler
// answered 204. Each request is a fresh shallow copy of the prepared one (a
// middleware may replace the request it was given, as gorilla/sessions
// does with *r = …), copied into the same value so that the copy costs no
// allocation.
func (c *Case) do(w *recorder, scratch *http.Request, i int) error {
	w.reset()
	r := scratch
	if c.NewRequest != nil {
		r = c.NewRequest(i)
	} else {
		*scratch = *c.Requests[i%len(c.Requests)]
	}
	c.Handler.ServeHTTP(w, r)
	want := c.Want
	if want == 0 {
		want = http.StatusNoContent
	}
	if w.code != want {
		return fmt.Errorf("request %d: status %d, want %d: %s", i, w.code, want, w.body)
	}
	if c.WantBody != "" && !bytes.Contains(w.body, []byte(c.WantBody)) {
		return fmt.Errorf("request %d: %q not in the answer %s", i, c.WantBody, w.body)
	}
	return nil
}

// Check sends every request once, checking each answer.
func (c *Case) Check() error { return c.CheckN(len(c.Requests)) }

// CheckN sends the first n requests once, checking each answer.
func (c *Case) CheckN(n int) error {
	w, r := c.writer(), new(http.Request)
	if c.NewRequest == nil {
		n = min(n, len(c.Requests))
	}
	for i := range n {
		if err := c.do(w, r, i); err != nil {
			return err
		}
	}
	return nil
}

// Run is the timed loop: one round trip per iteration, each answer checked.
func (c *Case) Run(b *testing.B) {
	w, r := c.writer(), new(http.Request)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := c.do(w, r, i); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// RunParallel is Run on every core (GOMAXPROCS goroutines), each with its
// own writer, taking requests from one shared counter.
func (c *Case) RunParallel(b *testing.B) {
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer() // b.Loop does it for Run: the setup is not measured
	b.RunParallel(func(pb *testing.PB) {
		w, r := c.writer(), new(http.Request)
		for pb.Next() {
			if err := c.do(w, r, int(next.Add(1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
