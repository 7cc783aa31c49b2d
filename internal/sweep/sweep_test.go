package sweep

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/text"
	"github.com/workerman-go/workerman/worker"
)

// onLoop runs fn on l and waits for it.
func onLoop(l *connection.Loop, fn func()) {
	done := make(chan struct{})
	l.Run(func() {
		fn()
		close(done)
	})
	<-done
}

// A Sweep visits its items on one loop timer, drops those whose visit says
// so, and stops its timer when empty; a later Add starts it again.
func TestSweep(t *testing.T) {
	conns := make(chan *connection.Conn, 1)
	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.Count = 1
	w.OnConnect = func(c *connection.Conn) { conns <- c }
	addr := testutil.Start(t, w)
	nc, err := net.DialTimeout("tcp", addr, testutil.Timeout)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	l := (<-conns).Loop()

	var mu sync.Mutex
	visits := map[int]int{}
	var sw *Sweep[int]
	onLoop(l, func() {
		sw = New(l, 20*time.Millisecond, func(item int, now int64) bool {
			mu.Lock()
			defer mu.Unlock()
			visits[item]++
			return visits[item] < item // item n stays for n visits
		})
		for _, n := range []int{1, 3, 5} {
			sw.Add(n)
		}
	})
	testutil.Eventually(t, "every item visited until it left", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return visits[5] == 5
	})
	onLoop(l, func() {
		if sw.Len() != 0 || sw.stop != nil {
			t.Errorf("after the last item left: %d items, timer kept: %v", sw.Len(), sw.stop != nil)
		}
	})
	mu.Lock()
	if visits[1] != 1 || visits[3] != 3 || visits[5] != 5 {
		t.Errorf("visits %v, want 1:1 3:3 5:5", visits)
	}
	mu.Unlock()

	onLoop(l, func() { sw.Add(2) })
	testutil.Eventually(t, "the new item visited twice", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return visits[2] == 2
	})
}
