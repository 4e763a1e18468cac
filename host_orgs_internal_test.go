package latch

import (
	"testing"
	"time"
)

// TestEvictedTokensAreStaleUntilMintedAgain checks the marks behind
// Host.EvictUserTokens: a token minted before the mark (or in its second,
// elsewhere) is stale, one this instance minted after it is not, and a
// second mark at the same instant makes that one stale too.
func TestEvictedTokensAreStaleUntilMintedAgain(t *testing.T) {
	var s staleSet
	at := time.Date(2030, 1, 1, 12, 0, 0, 500_000_000, time.UTC)
	iat := at.Truncate(time.Second)
	if s.stale("sess_1", iat, "old") {
		t.Fatal("an empty set holds a mark")
	}
	s.add(at, time.Minute, "sess_1")
	if !s.stale("sess_1", iat, "old") || !s.stale("sess_1", iat.Add(-time.Second), "older") {
		t.Error("a token minted before the mark is not stale")
	}
	if s.stale("sess_2", iat, "other") {
		t.Error("another session's token is stale")
	}
	s.minted("sess_1", "fresh")
	if s.stale("sess_1", iat, "fresh") {
		t.Error("the token minted after the mark is stale")
	}
	if s.stale("sess_1", iat.Add(time.Second), "later") {
		t.Error("a token of a later second is stale")
	}
	s.add(at, time.Minute, "sess_1")
	if !s.stale("sess_1", iat, "fresh") {
		t.Error("a second mark at the same instant leaves the token minted between them fresh")
	}
	s.add(at.Add(2*time.Minute), time.Minute, "sess_3")
	if s.stale("sess_1", iat, "old") {
		t.Error("a mark outlives the tokens it is about")
	}
}
