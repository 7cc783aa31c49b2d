package procfs

import (
	"net"
	"os"
	"testing"
)

func TestCPUsAllowed(t *testing.T) {
	list, threads, err := CPUsAllowed(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if list == "" || threads < 1 {
		t.Fatalf("list %q, threads %d", list, threads)
	}
}

func TestTreeListeners(t *testing.T) {
	before, err := TreeListeners(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	var lns []net.Listener
	for i := 0; i < 3; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		lns = append(lns, ln)
	}
	// A connected socket is not a listener.
	c, err := net.Dial("tcp", lns[0].Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	after, err := TreeListeners(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after-before != 3 {
		t.Fatalf("listeners %d before, %d after opening 3", before, after)
	}
}

func TestCPUTicks(t *testing.T) {
	busy, total, err := CPUTicks()
	if err != nil {
		t.Fatal(err)
	}
	if len(busy) == 0 || len(busy) != len(total) {
		t.Fatalf("busy %v, total %v", busy, total)
	}
	for i := range busy {
		if busy[i] > total[i] {
			t.Fatalf("cpu%d: busy %d > total %d", i, busy[i], total[i])
		}
	}
}
