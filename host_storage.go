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
	c, inner, ok := capability[T](h.a.store)
	if !ok {
		return c, fmt.Errorf("the store (%T) lacks the capability %s", inner, reflect.TypeFor[T]())
	}
	return c, nil
}

// capability returns s, or what the wrappers around it unwrap to (a Store
// or a transaction's Querier), as T; when none is a T, the innermost.
func capability[T any](s any) (T, any, bool) {
	for {
		if c, ok := s.(T); ok {
			return c, s, true
		}
		switch u := s.(type) {
		case interface{ Unwrap() storage.Store }:
			s = u.Unwrap()
		case interface{ Unwrap() storage.Querier }:
			s = u.Unwrap()
		default:
			var zero T
			return zero, s, false
		}
	}
}
