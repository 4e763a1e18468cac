package latch_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
)

// lifePlugin records its Start and Close calls in log.
type lifePlugin struct {
	name     string
	log      *[]string
	startErr error
	ctx      context.Context // the one Start got
}

func (p *lifePlugin) Name() string                 { return p.name }
func (p *lifePlugin) Register(h *latch.Host) error { return nil }
func (p *lifePlugin) Start(ctx context.Context) error {
	*p.log = append(*p.log, "start "+p.name)
	p.ctx = ctx
	return p.startErr
}
func (p *lifePlugin) Close() error {
	*p.log = append(*p.log, "close "+p.name)
	return nil
}

// closeOnly has Close but no Start.
type closeOnly struct{ log *[]string }

func (closeOnly) Name() string               { return "close-only" }
func (closeOnly) Register(*latch.Host) error { return nil }
func (p closeOnly) Close() error {
	*p.log = append(*p.log, "close close-only")
	return errors.New("flush failed")
}

func TestPluginsStartInOrderAndCloseInReverse(t *testing.T) {
	var log []string
	first, last := &lifePlugin{name: "first", log: &log}, &lifePlugin{name: "last", log: &log}
	h := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Plugins: []latch.Plugin{first, closeOnly{&log}, last}}})
	if want := []string{"start first", "start last"}; !slices.Equal(log, want) {
		t.Fatalf("after New: %v, want %v", log, want)
	}
	if first.ctx.Err() != nil {
		t.Fatal("Start's context is done before Close")
	}
	err := h.Close()
	if err == nil || !strings.Contains(err.Error(), "flush failed") {
		t.Errorf("Close = %v, want the plugin's Close error", err)
	}
	if want := []string{"start first", "start last", "close last", "close close-only", "close first"}; !slices.Equal(log, want) {
		t.Errorf("after Close: %v, want %v", log, want)
	}
	if first.ctx.Err() == nil {
		t.Error("Start's context is not done after Close")
	}
	h.Close()
	if len(log) != 5 {
		t.Errorf("a second Close closed the plugins again: %v", log)
	}
}

func TestPluginStartFailureClosesTheStartedOnesAndFailsNew(t *testing.T) {
	var log []string
	plugins := []latch.Plugin{
		&lifePlugin{name: "first", log: &log},
		&lifePlugin{name: "broken", log: &log, startErr: errors.New("no license key")},
		&lifePlugin{name: "never", log: &log},
	}
	_, err := latch.New(latch.Config{Store: memStore(), Plugins: plugins, Secrets: [][]byte{[]byte(strings.Repeat("s", 32))}})
	if err == nil || !strings.Contains(err.Error(), "broken") || !strings.Contains(err.Error(), "no license key") {
		t.Fatalf("New = %v, want the failing plugin's error", err)
	}
	if want := []string{"start first", "start broken", "close first"}; !slices.Equal(log, want) {
		t.Errorf("calls: %v, want %v", log, want)
	}
}
