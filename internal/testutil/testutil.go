// Package testutil holds what the framework's tests share: starting a
// Worker on a loopback port of its own for the length of a test, and
// bounded waiting. Only tests import it.
package testutil

import (
	"context"
	"testing"
	"time"
)

// Timeout bounds every wait of a test: generous, because the machines that
// run the tests are shared and noisy. A correct program passes however long
// a wait takes within it.
const Timeout = 20 * time.Second

// Server is what Start needs of a Worker, whatever its message type.
type Server interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Addr() string
}

// Start runs w (which should listen on port 0) and stops it when the test
// ends; it returns the bound address.
func Start(t testing.TB, w Server) string {
	t.Helper()
	if err := w.Start(context.Background()); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		if err := w.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return w.Addr()
}

// Eventually polls cond until it holds, failing the test after Timeout.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Recv receives the next value from ch, failing the test after Timeout.
func Recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(Timeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}
