package procfs

import (
	"net"
	"os"
	"testing"
	"time"
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

func TestBusyPercent(t *testing.T) {
	got := BusyPercent(
		[]uint64{100, 50, 7}, []uint64{200, 100, 10},
		[]uint64{150, 50, 7}, []uint64{300, 200, 10}, // CPU 2: no tick in between
	)
	want := []float64{50, 0, 0}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	// A CPU missing from one reading is left out.
	if got := BusyPercent([]uint64{1, 2}, []uint64{3, 4}, []uint64{1}, []uint64{5}); len(got) != 1 || got[0] != 0 {
		t.Fatalf("got %v", got)
	}
	// A third of the ticks busy: rounded to one decimal.
	if got := BusyPercent([]uint64{0}, []uint64{0}, []uint64{1}, []uint64{3}); got[0] != 33.3 {
		t.Fatalf("got %v", got)
	}
}

func TestTreeCPUSplit(t *testing.T) {
	// Burn some user time, then compare the split with the sum.
	deadline := time.Now().Add(30 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	user, sys, err := TreeCPUSplit(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	sum, err := TreeCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if user <= 0 || sys < 0 || sum < user+sys {
		t.Fatalf("user %v sys %v, sum %v", user, sys, sum)
	}
	if _, _, err := TreeCPUSplit(1 << 30); err == nil {
		t.Fatal("no error for a process that does not exist")
	}
}
