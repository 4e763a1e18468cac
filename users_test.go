package latch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/storage"
)

var ctx = context.Background()

func TestNewValidatesConfig(t *testing.T) {
	if _, err := latch.New(latch.Config{}); err == nil || !strings.Contains(err.Error(), "Store is required") {
		t.Fatalf("New without a store: got %v, want an error naming Store", err)
	}
	h := latchtest.NewHarness(t, latchtest.Options{})
	for _, base := range []string{"ftp://x", "https://user:pw@app.example", "https://app.example/?q=1", "not a url", "https://"} {
		if _, err := latch.New(latch.Config{Store: h.Store, BaseURL: base}); err == nil {
			t.Errorf("BaseURL %q accepted; want it rejected", base)
		}
	}
}

func TestCreateUserStoresIdentifiersAndEmitsEvent(t *testing.T) {
	a := latchtest.New(t)
	var got []latch.Event
	a.Subscribe(func(_ context.Context, e latch.Event) { got = append(got, e) })

	u, err := a.CreateUser(ctx, latch.CreateUserParams{
		EmailAddresses: []string{"Ada@Example.com", "ada@work.example"},
		PhoneNumbers:   []string{"+1 (555) 555-0100"},
		Username:       "ada_l", FirstName: "Ada", LastName: "Lovelace",
		PublicMetadata: json.RawMessage(`{"plan":"pro"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.ID, "user_") || len(u.EmailAddresses) != 2 || len(u.PhoneNumbers) != 1 {
		t.Fatalf("unexpected user %+v", u)
	}
	if u.PrimaryEmailAddress() != "Ada@Example.com" || u.PrimaryPhoneNumber() != "+15555550100" {
		t.Errorf("primaries = %q, %q", u.PrimaryEmailAddress(), u.PrimaryPhoneNumber())
	}
	if len(got) != 1 || got[0].Type != latch.EventUserCreated || !strings.Contains(string(got[0].Data), u.ID) {
		t.Errorf("events = %+v, want one user.created carrying the user", got)
	}
	byEmail, err := a.GetUserByEmailAddress(ctx, "  ADA@example.COM ")
	if err != nil || byEmail.ID != u.ID {
		t.Errorf("lookup by a case variant: %v, %v", byEmail, err)
	}
}

func TestInvalidInputGetsFieldErrorAndWritesNothing(t *testing.T) {
	h := latchtest.NewHarness(t, latchtest.Options{})
	big := json.RawMessage(`{"k":"` + strings.Repeat("x", 9000) + `"}`)
	cases := []struct {
		name string
		p    latch.CreateUserParams
		want *latch.Error
	}{
		{"email without domain", latch.CreateUserParams{EmailAddresses: []string{"ada@"}}, latch.ErrEmailInvalid},
		{"email with header injection", latch.CreateUserParams{EmailAddresses: []string{"ada@example.com\r\nBcc: x@evil.test"}}, latch.ErrEmailInvalid},
		{"email with display name", latch.CreateUserParams{EmailAddresses: []string{"Ada <ada@example.com>"}}, latch.ErrEmailInvalid},
		{"second email bad", latch.CreateUserParams{EmailAddresses: []string{"ok@example.com", "bad"}}, latch.ErrEmailInvalid},
		{"phone not E.164", latch.CreateUserParams{PhoneNumbers: []string{"555-0100"}}, latch.ErrPhoneInvalid},
		{"username too short", latch.CreateUserParams{Username: "ab"}, latch.ErrUsernameInvalid},
		{"username look-alike", latch.CreateUserParams{Username: "аdmin"}, latch.ErrUsernameInvalid},
		{"metadata not object", latch.CreateUserParams{PublicMetadata: json.RawMessage(`[1]`)}, latch.ErrMetadataInvalid},
		{"metadata oversized", latch.CreateUserParams{PrivateMetadata: big}, latch.ErrMetadataInvalid},
		{"image URL javascript", latch.CreateUserParams{ImageURL: "javascript:alert(1)"}, latch.ErrParamInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := h.CreateUser(ctx, c.p)
			var le *latch.Error
			if !errors.As(err, &le) || !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %s", err, c.want.Code)
			}
			if le.Message == "" || le.Status < 400 {
				t.Errorf("error %+v lacks a message or status", le)
			}
		})
	}
	if n, _ := h.Store.(storage.AdminStore).CountUsers(ctx, storage.UserFilter{}); n != 0 {
		t.Errorf("%d users stored after only invalid input", n)
	}
}

func TestDuplicateVerifiedEmailLeavesNoPartialUser(t *testing.T) {
	h := latchtest.NewHarness(t, latchtest.Options{})
	if _, err := h.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}}); err != nil {
		t.Fatal(err)
	}
	_, err := h.CreateUser(ctx, latch.CreateUserParams{Username: "second", EmailAddresses: []string{"ＡＤＡ@example.com"}})
	if !errors.Is(err, latch.ErrIdentifierExists) {
		t.Fatalf("NFKC/case variant of a taken email: got %v, want ErrIdentifierExists", err)
	}
	if n, _ := h.Store.(storage.AdminStore).CountUsers(ctx, storage.UserFilter{}); n != 1 {
		t.Errorf("%d users stored; the failed create left a partial user", n)
	}
	if evs, _ := h.Store.ListEvents(ctx, "", false, 10); len(evs) != 1 {
		t.Errorf("%d events in the outbox; a rolled-back change left its event", len(evs))
	}
}

func TestConcurrentSignUpSameEmailMakesOneAccount(t *testing.T) {
	h := latchtest.NewHarness(t, latchtest.Options{})
	var wg sync.WaitGroup
	start := make(chan struct{})
	var mu sync.Mutex
	ok := 0
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := h.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{fmt.Sprintf("%sce@example.com", []string{"Ali", "ali", "ALI"}[i%3])}})
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if !errors.Is(err, latch.ErrIdentifierExists) {
				t.Errorf("unexpected error %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n, _ := h.Store.(storage.AdminStore).CountUsers(ctx, storage.UserFilter{}); ok != 1 || n != 1 {
		t.Fatalf("%d creates succeeded and %d users exist; want exactly 1", ok, n)
	}
}

func TestUnknownIDsAreNotFound(t *testing.T) {
	a := latchtest.New(t)
	if _, err := a.GetUser(ctx, "user_nope"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("GetUser: %v", err)
	}
	if _, err := a.UpdateUser(ctx, "user_nope", latch.UpdateUserParams{}); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("UpdateUser: %v", err)
	}
	if err := a.DeleteUser(ctx, "user_nope"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("DeleteUser: %v", err)
	}
	if _, err := a.AddEmailAddress(ctx, "user_nope", "x@example.com", true); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("AddEmailAddress: %v", err)
	}
	if err := a.RemoveIdentifier(ctx, "idn_nope"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("RemoveIdentifier: %v", err)
	}
}

func TestMetadataMergeLosesNoConcurrentWrite(t *testing.T) {
	a := latchtest.New(t)
	u, err := a.CreateUser(ctx, latch.CreateUserParams{PublicMetadata: json.RawMessage(`{"keep":{"a":1,"b":2}}`)})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := a.UpdateUserMetadata(ctx, u.ID, latch.UserMetadata{Public: json.RawMessage(fmt.Sprintf(`{"k%d":%d}`, i, i))}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := a.UpdateUserMetadata(ctx, u.ID, latch.UserMetadata{Public: json.RawMessage(`{"keep":{"a":null}}`)})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(got.PublicMetadata, &m)
	if len(m) != 17 {
		t.Errorf("metadata has %d keys, want 17 (16 concurrent writes + keep): %s", len(m), got.PublicMetadata)
	}
	if keep := m["keep"].(map[string]any); len(keep) != 1 || keep["b"] != 2.0 {
		t.Errorf("deep merge with null delete: keep = %v", keep)
	}
}

func TestIdentifierLifecycle(t *testing.T) {
	a := latchtest.New(t)
	u, _ := a.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"one@example.com"}})
	two, err := a.AddEmailAddress(ctx, u.ID, "two@example.com", false)
	if err != nil || two.Verified || two.Primary {
		t.Fatalf("unverified add: %+v %v", two, err)
	}
	if err := a.SetPrimaryIdentifier(ctx, two.ID); !errors.Is(err, latch.ErrIdentifierUnverified) {
		t.Errorf("unverified address made primary: %v", err)
	}
	if _, err := a.VerifyIdentifier(ctx, two.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.RemoveIdentifier(ctx, u.PrimaryEmailAddressID); !errors.Is(err, latch.ErrPrimaryIdentifier) {
		t.Errorf("primary removed while another exists: %v", err)
	}
	if err := a.SetPrimaryIdentifier(ctx, two.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.RemoveIdentifier(ctx, u.PrimaryEmailAddressID); err != nil {
		t.Fatal(err)
	}
	got, _ := a.GetUser(ctx, u.ID)
	if got.PrimaryEmailAddress() != "two@example.com" || len(got.EmailAddresses) != 1 {
		t.Errorf("after swap and removal: %+v", got.EmailAddresses)
	}

	// Account pre-hijacking: an unverified copy of someone's address can be
	// added, but never verified while the owner's copy is verified.
	other, _ := a.CreateUser(ctx, latch.CreateUserParams{Username: "mallory"})
	squat, err := a.AddEmailAddress(ctx, other.ID, "TWO@example.com", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.VerifyIdentifier(ctx, squat.ID); !errors.Is(err, latch.ErrIdentifierExists) {
		t.Errorf("verifying a taken address: %v", err)
	}
	if owner, _ := a.GetUserByEmailAddress(ctx, "two@example.com"); owner == nil || owner.ID != u.ID {
		t.Errorf("lookup finds %v, want the verified owner", owner)
	}
}

func TestDispatchPendingRedeliversAfterCrash(t *testing.T) {
	h := latchtest.NewHarness(t, latchtest.Options{})
	// An event committed by a process that died before dispatching it.
	if err := h.Store.AppendEvent(ctx, &storage.Event{ID: "evt_00000000000000000000000001", Type: "user.created", Data: json.RawMessage(`{}`), CreatedAt: latchtest.Start}); err != nil {
		t.Fatal(err)
	}
	var n int
	h.Subscribe(func(context.Context, latch.Event) { n++ })
	if got, err := h.DispatchPending(ctx); err != nil || got != 1 || n != 1 {
		t.Fatalf("DispatchPending = %d, %v; handler ran %d times", got, err, n)
	}
	if got, _ := h.DispatchPending(ctx); got != 0 || n != 1 {
		t.Errorf("an event was delivered twice")
	}
}

func TestSubscriberPanicDoesNotBreakTheChange(t *testing.T) {
	a := latchtest.New(t)
	a.Subscribe(func(context.Context, latch.Event) { panic("boom") })
	if _, err := a.CreateUser(ctx, latch.CreateUserParams{}); err != nil {
		t.Fatalf("a panicking subscriber failed the change: %v", err)
	}
}

func TestInternalErrorsNeverReachUsers(t *testing.T) {
	h := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Store: failingStore{memStore()}}})
	_, err := h.CreateUser(ctx, latch.CreateUserParams{})
	var le *latch.Error
	if !errors.As(err, &le) || le.Code != latch.ErrUnavailable.Code {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
	if strings.Contains(le.Error(), "password=hunter2") || strings.Contains(le.Message, "dial") {
		t.Errorf("internal detail in user-facing error: %q", le.Error())
	}
	if !strings.Contains(fmt.Sprint(errors.Unwrap(le)), "dial tcp") {
		t.Errorf("cause not kept for logs: %v", errors.Unwrap(le))
	}
}

func TestIDsArePrefixedAndSortable(t *testing.T) {
	h := latchtest.NewHarness(t, latchtest.Options{})
	var prev string
	for range 50 {
		u, err := h.CreateUser(ctx, latch.CreateUserParams{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(u.ID, "user_") || len(u.ID) != 31 || u.ID <= prev {
			t.Fatalf("ID %q after %q: want user_ + 26 chars, increasing", u.ID, prev)
		}
		prev = u.ID
	}
}

func ExampleAuth_CreateUser() {
	auth := latchtest.New(nil)
	u, err := auth.CreateUser(context.Background(), latch.CreateUserParams{
		EmailAddresses: []string{"ada@example.com"},
		FirstName:      "Ada",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.FirstName, u.PrimaryEmailAddress(), u.EmailAddresses[0].Verified)

	_, err = auth.CreateUser(context.Background(), latch.CreateUserParams{EmailAddresses: []string{"ADA@example.com"}})
	fmt.Println(err)
	// Output:
	// Ada ada@example.com true
	// form_identifier_exists: That is already taken. Try another.
}
