package text

import (
	"bytes"
	"errors"
	"testing"

	"github.com/workerman-go/workerman/protocols"
)

// TestScannedOffset checks that a growing partial line is searched only
// once: the codec resumes where the previous call stopped, and starts again
// from zero after consuming a line.
func TestScannedOffset(t *testing.T) {
	c := Protocol().NewCodec(protocols.Limits{MaxPackageSize: 100}).(*codec)
	steps := []struct {
		in      string
		msg     string
		n       int
		scanned int
	}{
		{in: "abc", scanned: 3},
		{in: "abcdef", scanned: 6},
		{in: "abcdef", scanned: 6},
		{in: "abcdef\nxy", msg: "abcdef", n: 7, scanned: 0},
		{in: "xy", scanned: 2},
		{in: "xy\r", scanned: 3},
		{in: "xy\r\n", msg: "xy", n: 4, scanned: 0},
		{in: "0123456789", scanned: 10},
		// A shorter buffer than the one searched: start again from zero.
		{in: "a\n", msg: "a", n: 2, scanned: 0},
	}
	for i, s := range steps {
		msg, n, _, err := c.Decode([]byte(s.in))
		if err != nil || msg != s.msg || n != s.n || c.scanned != s.scanned {
			t.Fatalf("step %d: Decode(%q) = (%q, %d, %v), scanned %d; want (%q, %d, nil), scanned %d",
				i, s.in, msg, n, err, c.scanned, s.msg, s.n, s.scanned)
		}
	}
}

// TestSearchWindow checks that the codec never searches further into the
// buffer than a line of the maximum size can reach.
func TestSearchWindow(t *testing.T) {
	c := Protocol().NewCodec(protocols.Limits{MaxPackageSize: 8}).(*codec)
	in := append(bytes.Repeat([]byte("x"), 1<<20), '\n')
	_, _, _, err := c.Decode(in)
	if !errors.Is(err, protocols.ErrPackageTooLarge) {
		t.Fatalf("err = %v, want ErrPackageTooLarge", err)
	}
	if c.scanned > 10 {
		t.Fatalf("searched %d bytes, want at most 10", c.scanned)
	}
}

func TestHugeLimit(t *testing.T) {
	c := Protocol().NewCodec(protocols.Limits{MaxPackageSize: int(^uint(0) >> 1)}).(*codec)
	if c.window < c.max {
		t.Fatalf("window %d overflowed", c.window)
	}
	if msg, n, _, err := c.Decode([]byte("ok\n")); msg != "ok" || n != 3 || err != nil {
		t.Fatalf("Decode = (%q, %d, %v)", msg, n, err)
	}
}
