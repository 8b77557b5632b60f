package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/bus"
)

// NATS starts an embedded NATS server with JetStream storage in a temporary directory and returns
// its URL; it stops when the test ends.
func NATS(t testing.TB) string {
	t.Helper()
	srv, err := bus.StartEmbedded(t.TempDir(), "127.0.0.1", -1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	return srv.URL()
}

// Bus starts an embedded NATS server and connects a bus to it.
func Bus(t testing.TB) *bus.Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := bus.Connect(ctx, NATS(t), bus.Options{Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}
