// Package redisbroadcast carries Latch's strict-mode messages (revoked
// sessions) between application instances over Redis pub/sub, for apps
// whose instances share a Redis but not a PostgreSQL database. It satisfies
// latch.Broadcaster:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	auth, err := latch.New(latch.Config{
//		…
//		Session: latch.SessionConfig{Broadcaster: redisbroadcast.New(rdb, "")},
//	})
//
// Pub/sub delivers to the instances listening at the time of publishing and
// keeps nothing: an instance that was disconnected falls back on the session
// token's short lifetime, which bounds how long a revoked session can act.
package redisbroadcast

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// DefaultChannel is the pub/sub channel used when New is given "".
const DefaultChannel = "latch:broadcast"

// Broadcaster publishes and subscribes on one Redis channel. It is safe for
// concurrent use.
type Broadcaster struct {
	rdb     redis.UniversalClient
	channel string
}

// New returns a Broadcaster on rdb (a client the application owns and
// closes) and channel ("" for DefaultChannel). Give each application its
// own channel when several share one Redis.
func New(rdb redis.UniversalClient, channel string) *Broadcaster {
	if channel == "" {
		channel = DefaultChannel
	}
	return &Broadcaster{rdb: rdb, channel: channel}
}

// Publish sends msg to every subscriber.
func (b *Broadcaster) Publish(ctx context.Context, msg string) error {
	return b.rdb.Publish(ctx, b.channel, msg).Err()
}

// Subscribe calls fn with each message until ctx is done or the connection
// fails; ready is closed once the subscription is confirmed by Redis.
func (b *Broadcaster) Subscribe(ctx context.Context, ready chan<- struct{}, fn func(msg string)) error {
	ps := b.rdb.Subscribe(ctx, b.channel)
	defer ps.Close()
	// Receive returns the subscription confirmation first.
	if _, err := ps.Receive(ctx); err != nil {
		return err
	}
	close(ready)
	for {
		m, err := ps.ReceiveMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		fn(m.Payload)
	}
}
