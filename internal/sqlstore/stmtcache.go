package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// stmtCache runs statements on the pool as prepared statements, preparing
// each distinct statement once per connection (database/sql keeps the
// per-connection handles). For SQLite, whose driver otherwise compiles
// every statement on every call, this halves the cost of a point lookup.
// PostgreSQL does not need it: pgx caches prepared statements itself.
type stmtCache struct {
	db    *sql.DB
	stmts sync.Map // query → *sql.Stmt
}

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := c.stmts.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := c.stmts.LoadOrStore(query, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	return s, nil
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := c.stmt(ctx, query)
	if err != nil {
		// Unprepared, the statement fails again and the Row carries
		// the error.
		return c.db.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

func (c *stmtCache) close() error {
	var errs []error
	c.stmts.Range(func(k, v any) bool {
		c.stmts.Delete(k)
		errs = append(errs, v.(*sql.Stmt).Close())
		return true
	})
	return errors.Join(errs...)
}
