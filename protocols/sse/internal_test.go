package sse

import (
	"bytes"
	"testing"
)

// TestBuffersReleased checks that a buffer grown for one long line or event
// is not kept once it has been used, so that idle parsers stay small, and
// that a small one is kept for reuse.
func TestBuffersReleased(t *testing.T) {
	var p Parser
	long := bytes.Repeat([]byte("x"), 2*keepCap)
	// The line arrives in two chunks, so it is carried in p.line.
	if err := p.Feed([]byte("data: "), nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Feed(long, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Feed([]byte("\n"), nil); err != nil {
		t.Fatal(err)
	}
	if p.line != nil || cap(p.data) <= keepCap {
		t.Fatalf("after the line: cap(line) %d, cap(data) %d", cap(p.line), cap(p.data))
	}
	n := 0
	if err := p.Feed([]byte("\n"), func(e Event) { n += len(e.Data) }); err != nil || n != len(long) {
		t.Fatalf("event of %d bytes, err %v", n, err)
	}
	if p.data != nil {
		t.Fatalf("after the event: cap(data) %d", cap(p.data))
	}
	if err := p.Feed([]byte("data: a\n\ndata: b"), nil); err != nil {
		t.Fatal(err)
	}
	if cap(p.data) == 0 || cap(p.line) == 0 {
		t.Fatalf("small buffers not kept: cap(line) %d, cap(data) %d", cap(p.line), cap(p.data))
	}
}
