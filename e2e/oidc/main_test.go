package oidc

import (
	"io"
	"log/slog"
	"os"
	"testing"
)

// TestMain quiets the request log zitadel's example server writes through
// the default logger.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}
