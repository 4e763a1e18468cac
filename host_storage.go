package latch

import (
	"fmt"
	"reflect"

	"github.com/latchauth/latch/storage"
)

// RequireStore returns the store as the capability T (an interface of
// package storage, such as storage.OrganizationStore), for a plugin to
// call in Register and keep: a plugin that needs storage beyond the core
// Store fails New, naming what is missing, instead of failing a request
// later. It looks through wrappers that offer Unwrap() storage.Store, the
// kernel's own logging wrapper included, so a failure of a capability's
// operation is the plugin's to report.
func RequireStore[T any](h *Host) (T, error) {
	var s storage.Store = h.a.store
	for {
		if c, ok := s.(T); ok {
			return c, nil
		}
		u, ok := s.(interface{ Unwrap() storage.Store })
		if !ok {
			var zero T
			return zero, fmt.Errorf("the store (%T) lacks the capability %s", s, reflect.TypeFor[T]())
		}
		s = u.Unwrap()
	}
}
