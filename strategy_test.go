package latch_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
)

// fixedStrategy is a plugin's first factor: a code the test knows, offered
// only for addresses at one domain (an IdentifierOfferer), as enterprise
// sign-in is offered by email domain.
type fixedStrategy struct {
	name, domain, code string
}

func (s *fixedStrategy) Info() latch.StrategyInfo {
	return latch.StrategyInfo{Name: s.name, Kind: latch.FirstFactor, Input: latch.InputCode, Label: "Use the company code",
		Identifiers: []string{"email_address"}}
}
func (s *fixedStrategy) Enrolled(context.Context, string) (bool, error) { return false, nil }
func (s *fixedStrategy) OfferedFor(kind, identifier string) bool {
	return strings.HasSuffix(identifier, "@"+s.domain)
}
func (s *fixedStrategy) Prepare(context.Context, *latch.Attempt) (json.RawMessage, error) {
	return nil, nil
}
func (s *fixedStrategy) Verify(_ context.Context, at *latch.Attempt, p latch.AttemptParams) (*latch.Proof, error) {
	if p.Code != s.code || at.UserID == "" {
		return nil, latch.ErrCodeIncorrect
	}
	return &latch.Proof{UserID: at.UserID, AMR: []string{"otp"}}, nil
}

type strategyPlugin struct{ s latch.Strategy }

func (p strategyPlugin) Name() string                 { return "strategy" }
func (p strategyPlugin) Register(h *latch.Host) error { return h.AddStrategy(p.s) }

// A plugin cannot take over a sign-in method by registering a first factor
// under a kernel strategy's name.
func TestPluginCannotReplaceAKernelFirstFactor(t *testing.T) {
	for _, name := range []string{latch.StrategyPassword, latch.StrategyEmailCode, latch.StrategyTicket, latch.StrategyResetPasswordEmailLink} {
		_, err := latch.New(latch.Config{Store: latchtest.NewHarness(t, latchtest.Options{}).Store,
			Plugins: []latch.Plugin{strategyPlugin{&fixedStrategy{name: name}}}})
		if err == nil || !strings.Contains(err.Error(), "kernel's first factor") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// An IdentifierOfferer is offered by the identifier alone: an address at
// its domain is offered it whether or not an account exists, so the list
// of factors tells nobody which addresses have accounts.
func TestIdentifierOffererRevealsNoAccount(t *testing.T) {
	s := &fixedStrategy{name: "enterprise_code", domain: "corp.example", code: "424242"}
	e := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Plugins: []latch.Plugin{strategyPlugin{s}}}})
	if _, err := e.Auth.CreateUser(context.Background(), latch.CreateUserParams{EmailAddresses: []string{"known@corp.example"}}); err != nil {
		t.Fatal(err)
	}
	factors := func(identifier string) []string {
		_, out := latchtest.NewBrowser(e.Auth.Handler()).JSON(http.MethodPost, "/v1/client/sign_ins", map[string]any{"identifier": identifier})
		var names []string
		for _, f := range out["supported_first_factors"].([]any) {
			names = append(names, f.(map[string]any)["strategy"].(string))
		}
		return names
	}
	known, unknown, elsewhere := factors("known@corp.example"), factors("nobody@corp.example"), factors("known@other.example")
	if strings.Join(known, ",") != strings.Join(unknown, ",") {
		t.Fatalf("known %v, unknown %v: the list tells them apart", known, unknown)
	}
	if !contains(known, "enterprise_code") || contains(elsewhere, "enterprise_code") {
		t.Fatalf("offered at corp.example: %v; elsewhere: %v", known, elsewhere)
	}
}

// The hosted pages render a plugin's first factor from its Input alone:
// a code strategy gets the code step, and the code typed there signs in.
func TestPagesRenderAPluginFirstFactorByItsInput(t *testing.T) {
	s := &fixedStrategy{name: "enterprise_code", domain: "corp.example", code: "424242"}
	e := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Plugins: []latch.Plugin{strategyPlugin{s}}}})
	if _, err := e.Auth.CreateUser(context.Background(), latch.CreateUserParams{EmailAddresses: []string{"ada@corp.example"}}); err != nil {
		t.Fatal(err)
	}
	b := latchtest.NewBrowser(e.Auth.Handler())
	res := b.Post("/sign-in", url.Values{"intent": {"identifier"}, "identifier": {"ada@corp.example"}})
	next, _ := url.Parse(res.Header.Get("Location"))
	id := next.Query().Get("sign_in_id")
	choose, _ := io.ReadAll(b.Post("/sign-in", url.Values{"intent": {"choose_strategy"}, "sign_in_id": {id}}).Body)
	if !strings.Contains(string(choose), "Use the company code") {
		t.Fatalf("the choice does not list the plugin's factor:\n%s", choose)
	}
	res = b.Post("/sign-in", url.Values{"intent": {"use_strategy"}, "strategy": {"enterprise_code"}, "sign_in_id": {id}})
	page, _ := io.ReadAll(b.Get(res.Header.Get("Location")).Body)
	if !strings.Contains(string(page), `name="code"`) {
		t.Fatalf("no code step for the plugin's code strategy:\n%s", page)
	}
	res = b.Post("/sign-in", url.Values{"intent": {"code"}, "code": {"424242"}, "sign_in_id": {id}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("after the code: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if status, me := b.JSON(http.MethodGet, "/v1/me", nil); status != http.StatusOK || me["primary_email_address"] == nil && me["id"] == nil {
		t.Fatalf("not signed in: %d %v", status, me)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// policyPlugin adds two code strategies for corp.example and a policy that
// lets that domain's users in with the second one only.
type policyPlugin struct{ allowed, other *fixedStrategy }

func (p policyPlugin) Name() string { return "policy" }
func (p policyPlugin) Register(h *latch.Host) error {
	if err := h.AddStrategy(p.allowed); err != nil {
		return err
	}
	if err := h.AddStrategy(p.other); err != nil {
		return err
	}
	h.AddSignInPolicy(func(_ context.Context, in latch.SignInContext) (latch.SignInRequirement, error) {
		return latch.SignInRequirement{Strategies: []string{p.allowed.name}}, nil
	})
	return nil
}

// A sign-in policy that allows only one first factor cannot be walked
// around with another the user can pass: the sign-in is refused after the
// factor, before any session exists.
func TestSignInPolicyRefusesAnotherFirstFactor(t *testing.T) {
	allowed := &fixedStrategy{name: "company_key", domain: "corp.example", code: "111111"}
	other := &fixedStrategy{name: "company_code", domain: "corp.example", code: "222222"}
	e := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Plugins: []latch.Plugin{policyPlugin{allowed, other}}}})
	if _, err := e.Auth.CreateUser(context.Background(), latch.CreateUserParams{EmailAddresses: []string{"ada@corp.example"}}); err != nil {
		t.Fatal(err)
	}
	try := func(strategy, code string) (int, map[string]any) {
		b := latchtest.NewBrowser(e.Auth.Handler())
		_, si := b.JSON(http.MethodPost, "/v1/client/sign_ins", map[string]any{"identifier": "ada@corp.example"})
		id := si["id"].(string)
		b.JSON(http.MethodPost, "/v1/client/sign_ins/"+id+"/prepare_first_factor", map[string]any{"strategy": strategy})
		return b.JSON(http.MethodPost, "/v1/client/sign_ins/"+id+"/attempt_first_factor", map[string]any{"strategy": strategy, "code": code})
	}
	if status, out := try("company_code", "222222"); status == http.StatusOK || latchtest.ErrorCode(out) != "strategy_not_allowed" {
		t.Fatalf("the disallowed factor: %d %v", status, out)
	}
	if status, out := try("company_key", "111111"); status != http.StatusOK || out["status"] != latch.SignInComplete {
		t.Fatalf("the allowed factor: %d %v", status, out)
	}
}
