package redisbroadcast_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/broadcast/redisbroadcast"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/storage/sqlitestore"
)

func redisClient(t *testing.T) *redis.Client {
	url := os.Getenv("LATCH_TEST_REDIS")
	if url == "" {
		t.Skip("redisbroadcast: LATCH_TEST_REDIS is not set; set it to a Redis URL (redis://127.0.0.1:6379/0) to run these tests")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestStrictModeRevocationReachesOtherInstance runs two instances of one app
// on one SQLite database and one Redis, each with its own Redis client.
func TestStrictModeRevocationReachesOtherInstance(t *testing.T) {
	redisClient(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "app.db")
	channel := "latch:test:" + t.Name() + time.Now().Format(time.RFC3339Nano)
	instance := func() *latch.Auth {
		db, err := sqlitestore.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		a, err := latch.New(latch.Config{Store: db, BaseURL: "https://app.example", Secrets: [][]byte{[]byte(strings.Repeat("s", 32))},
			Session: latch.SessionConfig{Broadcaster: redisbroadcast.New(redisClient(t), channel)}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close(); db.Close() })
		return a
	}
	a, b := instance(), instance()
	d := latchtest.RevocationLatency(t, a, b, time.Second)
	t.Logf("revocation reached the other instance in %v", d)
}

func TestPublishSubscribe(t *testing.T) {
	rdb := redisClient(t)
	b := redisbroadcast.New(rdb, "latch:test:pubsub")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready, got := make(chan struct{}), make(chan string, 1)
	go b.Subscribe(ctx, ready, func(m string) { got <- m })
	<-ready
	if err := b.Publish(ctx, "revoke:sess_1"); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m != "revoke:sess_1" {
			t.Fatalf("got %q", m)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("message not delivered")
	}
}
