package latch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Starter is a Plugin with work to do once every plugin is registered
// (loading state, starting a worker). New calls Start on each plugin that
// has it, in the order of Config.Plugins; an error closes the plugins
// already started and fails New. ctx is done once Close begins, so a
// plugin may run background work under it, but Start itself should return
// promptly.
type Starter interface {
	Start(ctx context.Context) error
}

// Closer is a Plugin that holds resources. Auth.Close calls it on every
// plugin in the reverse order of Config.Plugins, after the durable
// consumers and the janitor have stopped; when a Start fails, New calls it
// on the plugins before the failing one.
type Closer interface {
	Close() error
}

// life is what runs between New and Close: the plugins' lifecycles, the
// durable consumers, the janitor and the event catalogue they declared.
type life struct {
	cancel    context.CancelFunc
	consumers consumerSet
	catalogue catalogue
	janitor   sync.WaitGroup
	started   []Plugin // plugins to close, in start order
	closeOnce sync.Once
	closeErr  error
}

// startUp starts the plugins, then the consumers and the janitor. On a
// failure it closes the plugins it started and stops everything else.
func (a *Auth) startUp() error {
	ctx, cancel := context.WithCancel(context.Background())
	a.life.cancel = cancel
	for _, p := range a.cfg.Plugins {
		if s, ok := p.(Starter); ok {
			if err := s.Start(ctx); err != nil {
				cancel()
				a.life.consumers.stop()
				if cerr := a.closePlugins(); cerr != nil {
					err = errors.Join(err, cerr)
				}
				return fmt.Errorf("latch: plugin %s: Start: %w", p.Name(), err)
			}
		}
		a.life.started = append(a.life.started, p)
	}
	owner, err := a.newID("inst")
	if err != nil {
		cancel()
		return errors.Join(err, a.closePlugins())
	}
	a.life.consumers.start(ctx, a, owner)
	if !a.cfg.Janitor.Disabled {
		a.life.janitor.Go(func() { a.runJanitor(ctx) })
	}
	return nil
}

// shutdown stops the consumers and the janitor, waiting for them, then closes
// the plugins in reverse order. Only the first call does anything.
func (a *Auth) shutdown() error {
	a.life.closeOnce.Do(func() {
		if a.life.cancel != nil {
			a.life.cancel()
		}
		a.life.consumers.stop()
		a.life.janitor.Wait()
		a.life.closeErr = a.closePlugins()
	})
	return a.life.closeErr
}

// closePlugins closes the started plugins that have Close, last first.
func (a *Auth) closePlugins() error {
	var errs []error
	for _, p := range slices.Backward(a.life.started) {
		if c, ok := p.(Closer); ok {
			if err := c.Close(); err != nil {
				errs = append(errs, fmt.Errorf("latch: plugin %s: Close: %w", p.Name(), err))
			}
		}
	}
	a.life.started = nil
	return errors.Join(errs...)
}
