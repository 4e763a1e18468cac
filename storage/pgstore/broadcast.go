package pgstore

import (
	"context"
	"fmt"
)

// broadcastChannel is the LISTEN/NOTIFY channel of Latch's broadcasts.
// Messages carry session IDs, which are unique, so apps sharing a database
// in different schemas may share the channel harmlessly.
const broadcastChannel = "latch_broadcast"

// Publish sends msg to every instance listening on this database
// (PostgreSQL NOTIFY, delivered when the sending transaction commits). It
// makes Store a latch.Broadcaster, for strict-mode revocation.
func (s *Store) Publish(ctx context.Context, msg string) error {
	_, err := s.pool.Exec(ctx, "SELECT pg_notify($1, $2)", broadcastChannel, msg)
	return err
}

// Subscribe holds one connection of the pool for as long as it listens
// (PostgreSQL LISTEN), calls fn with each message, and closes ready once it
// is listening. It returns when ctx is done or the connection fails.
func (s *Store) Subscribe(ctx context.Context, ready chan<- struct{}, fn func(msg string)) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A connection that was listening must not go back to the pool still
	// subscribed: hijack it and close it instead.
	pc := conn.Hijack()
	defer pc.Close(context.Background())
	if _, err := pc.Exec(ctx, "LISTEN "+broadcastChannel); err != nil {
		return fmt.Errorf("pgstore: listen: %w", err)
	}
	close(ready)
	for {
		n, err := pc.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		fn(n.Payload)
	}
}
