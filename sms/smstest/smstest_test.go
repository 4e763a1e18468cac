package smstest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchauth/latch/sms"
	"github.com/latchauth/latch/sms/smstest"
)

func TestRecorder(t *testing.T) {
	var r smstest.Recorder
	ctx := context.Background()
	for _, body := range []string{"code 111111", "code 222222"} {
		if err := r.Send(ctx, &sms.Message{To: "+14155550123", Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Send(ctx, &sms.Message{To: "555", Body: "x"}); !errors.Is(err, sms.ErrInvalidMessage) {
		t.Errorf("invalid: %v", err)
	}
	if len(r.Messages()) != 2 || r.Last().Body != "code 222222" {
		t.Fatalf("messages %v", r.Messages())
	}
	if got, none := r.LastTo("+14155550123"), r.LastTo("+33612345678"); got != "code 222222" || none != "" {
		t.Errorf("LastTo: %q, %q", got, none)
	}
	if a, b := r.WaitFor(t, "+14155550123", time.Second), r.WaitFor(t, "+14155550123", time.Second); a.Body != "code 111111" || b.Body != "code 222222" {
		t.Errorf("order: %q, %q", a.Body, b.Body)
	}
	down := errors.New("gateway down")
	r.Fail(down)
	if err := r.Send(ctx, &sms.Message{To: "+14155550123", Body: "x"}); !errors.Is(err, down) {
		t.Errorf("Send while failing = %v", err)
	}
	r.Fail(nil)
	go func() {
		time.Sleep(20 * time.Millisecond)
		_ = r.Send(ctx, &sms.Message{To: "+33612345678", Body: "late"})
	}()
	if m := r.WaitFor(t, "+33612345678", 5*time.Second); m.Body != "late" {
		t.Errorf("late: %q", m.Body)
	}
}
