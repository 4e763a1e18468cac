package main

import (
	"context"
	"testing"

	"github.com/latchauth/latch/storage/memstore"
)

func TestOrganizationsExampleRuns(t *testing.T) {
	auth, h, err := orgsExample(context.Background(), memstore.New(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	if h == nil {
		t.Fatal("no handler")
	}
}
