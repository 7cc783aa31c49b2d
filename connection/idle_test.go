//go:build unix

package connection

import (
	"testing"

	"github.com/panjf2000/gnet/v2/pkg/pool/goroutine"
)

// gnet's goroutine pool, whose tickers would wake an idle process twice a
// second, is released: the engine does not use it on Unix.
func TestGnetGoroutinePoolReleased(t *testing.T) {
	if !goroutine.DefaultWorkerPool.IsClosed() {
		t.Fatal("gnet's default goroutine pool is open: its tickers wake the process every 500 ms")
	}
}
