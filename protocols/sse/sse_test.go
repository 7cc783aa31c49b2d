package sse_test

import (
	"encoding"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/protocols/sse"
)

var (
	_ encoding.TextAppender  = sse.Event{}
	_ encoding.TextMarshaler = sse.Event{}
)

// encodeCases give, for each Event, its exact wire form and what a parser
// (and so a browser) makes of it: the events dispatched, the comments, the
// last event ID and the reconnection delay.
var encodeCases = []struct {
	name     string
	e        sse.Event
	wire     string
	events   []sse.Event
	comments []string
	lastID   string
	retry    time.Duration
}{
	{name: "zero event is a blank line", e: ev{}, wire: "\n"},
	{name: "data", e: ev{Data: "hello"}, wire: "data: hello\n\n", events: []ev{{Data: "hello"}}},
	{name: "data lf", e: ev{Data: "a\nb"}, wire: "data: a\ndata: b\n\n", events: []ev{{Data: "a\nb"}}},
	{name: "data cr", e: ev{Data: "a\rb"}, wire: "data: a\ndata: b\n\n", events: []ev{{Data: "a\nb"}}},
	{name: "data crlf", e: ev{Data: "a\r\nb"}, wire: "data: a\ndata: b\n\n", events: []ev{{Data: "a\nb"}}},
	{name: "data lf cr", e: ev{Data: "a\n\rb"}, wire: "data: a\ndata:\ndata: b\n\n", events: []ev{{Data: "a\n\nb"}}},
	{name: "data cr cr lf", e: ev{Data: "a\r\r\nb"}, wire: "data: a\ndata:\ndata: b\n\n", events: []ev{{Data: "a\n\nb"}}},
	{name: "data trailing lf", e: ev{Data: "a\n"}, wire: "data: a\ndata:\n\n", events: []ev{{Data: "a\n"}}},
	{name: "data trailing cr", e: ev{Data: "a\r"}, wire: "data: a\ndata:\n\n", events: []ev{{Data: "a\n"}}},
	{name: "data leading crlf", e: ev{Data: "\r\na"}, wire: "data:\ndata: a\n\n", events: []ev{{Data: "\na"}}},
	{name: "data only lf", e: ev{Data: "\n"}, wire: "data:\ndata:\n\n", events: []ev{{Data: "\n"}}},
	{name: "data blank lines", e: ev{Data: "\n\n"}, wire: "data:\ndata:\ndata:\n\n", events: []ev{{Data: "\n\n"}}},
	{name: "data leading space", e: ev{Data: " x"}, wire: "data:  x\n\n", events: []ev{{Data: " x"}}},
	{name: "data only space", e: ev{Data: " "}, wire: "data:  \n\n", events: []ev{{Data: " "}}},
	{name: "data colon", e: ev{Data: ":x"}, wire: "data: :x\n\n", events: []ev{{Data: ":x"}}},
	{name: "data looks like fields", e: ev{Data: "id: 1\n\nevent: x"}, wire: "data: id: 1\ndata:\ndata: event: x\n\n",
		events: []ev{{Data: "id: 1\n\nevent: x"}}},
	{name: "data binary", e: ev{Data: "\x00\xff"}, wire: "data: \x00\xff\n\n", events: []ev{{Data: "\x00\xff"}}},
	{name: "data bom", e: ev{Data: "\uFEFF"}, wire: "data: \uFEFF\n\n", events: []ev{{Data: "\uFEFF"}}},

	{name: "all fields", e: ev{ID: "1", Event: "up", Data: "x", Retry: 1500 * time.Millisecond, Comment: "c"},
		wire:     ": c\nid: 1\nevent: up\nretry: 1500\ndata: x\n\n",
		events:   []ev{{ID: "1", Event: "up", Data: "x", Retry: 1500 * time.Millisecond}},
		comments: []string{"c"}, lastID: "1", retry: 1500 * time.Millisecond},
	{name: "id only updates the last event id", e: ev{ID: "7"}, wire: "id: 7\n\n", lastID: "7"},
	{name: "id with spaces", e: ev{ID: " 7 ", Data: "x"}, wire: "id:  7 \ndata: x\n\n",
		events: []ev{{ID: " 7 ", Data: "x"}}, lastID: " 7 "},
	{name: "named event without data dispatches", e: ev{Event: "close"}, wire: "event: close\ndata:\n\n",
		events: []ev{{Event: "close"}}},
	{name: "empty message", e: ev{Event: "message"}, wire: "event: message\ndata:\n\n",
		events: []ev{{Event: "message"}}},
	{name: "event type with nul", e: ev{Event: "a\x00", Data: "x"}, wire: "event: a\x00\ndata: x\n\n",
		events: []ev{{Event: "a\x00", Data: "x"}}},
	{name: "retry only", e: ev{Retry: time.Second}, wire: "retry: 1000\n\n", retry: time.Second},
	{name: "retry 1 ms", e: ev{Retry: time.Millisecond}, wire: "retry: 1\n\n", retry: time.Millisecond},
	{name: "retry truncated", e: ev{Retry: 2*time.Millisecond - 1}, wire: "retry: 1\n\n", retry: time.Millisecond},
	{name: "retry hours", e: ev{Retry: 3 * time.Hour}, wire: "retry: 10800000\n\n", retry: 3 * time.Hour},
	{name: "retry largest", e: ev{Retry: time.Duration(1<<63 - 1)}, wire: "retry: 9223372036854\n\n",
		retry: 9223372036854 * time.Millisecond},
	{name: "id and retry", e: ev{ID: "5", Retry: time.Second}, wire: "id: 5\nretry: 1000\n\n", lastID: "5", retry: time.Second},

	{name: "comment", e: ev{Comment: "hi"}, wire: ": hi\n\n", comments: []string{"hi"}},
	{name: "comment lines", e: ev{Comment: "a\nb\r\nc\rd"}, wire: ": a\n: b\n: c\n: d\n\n", comments: []string{"a", "b", "c", "d"}},
	{name: "comment blank lines", e: ev{Comment: "\n"}, wire: ":\n:\n\n", comments: []string{"", ""}},
	{name: "comment leading space", e: ev{Comment: " x"}, wire: ":  x\n\n", comments: []string{" x"}},
	{name: "comment with data", e: ev{Comment: "c", Data: "d"}, wire: ": c\ndata: d\n\n",
		events: []ev{{Data: "d"}}, comments: []string{"c"}},
}

func TestAppendText(t *testing.T) {
	for _, tc := range encodeCases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.e.AppendText([]byte("prefix"))
			if err != nil || string(b) != "prefix"+tc.wire {
				t.Fatalf("AppendText = %q, %v; want %q", b, err, "prefix"+tc.wire)
			}
			m, err := tc.e.MarshalText()
			if err != nil || string(m) != tc.wire {
				t.Fatalf("MarshalText = %q, %v; want %q", m, err, tc.wire)
			}
			// What the client sees, after an event that sets the other fields
			// so that a field the block does not set is seen to persist or
			// reset as it should.
			want := result{events: tc.events, comments: tc.comments, lastID: tc.lastID, retry: tc.retry, retrySet: tc.retry != 0}
			if got := parse(t, 0, []byte(tc.wire)); !got.equal(want) {
				t.Fatalf("parsed:\ngot  %v\nwant %v", got, want)
			}
		})
	}
}

// TestBlockIsolation checks that each block is complete on its own: a block
// that sets no type or data does not inherit any from before, and a block
// written after any other one is read the same.
func TestBlockIsolation(t *testing.T) {
	first := ev{ID: "1", Event: "first", Data: "one", Retry: time.Second, Comment: "c"}
	firstParsed := ev{ID: "1", Event: "first", Data: "one", Retry: time.Second}
	for _, tc := range encodeCases {
		stream, err := first.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		stream, _ = tc.e.AppendText(stream)
		got := parse(t, 0, stream)
		if len(got.events) == 0 || got.events[0] != firstParsed {
			t.Fatalf("%s: first event %q", tc.name, got.events)
		}
		wantEvents := append([]sse.Event(nil), tc.events...)
		wantID := tc.lastID
		if tc.e.ID == "" {
			wantID = "1"
			for i := range wantEvents {
				wantEvents[i].ID = "1"
			}
		}
		if len(got.events) != 1+len(wantEvents) {
			t.Fatalf("%s: events %q, want first and %q", tc.name, got.events, wantEvents)
		}
		for i, w := range wantEvents {
			if got.events[1+i] != w {
				t.Fatalf("%s: event %q, want %q", tc.name, got.events[1+i], w)
			}
		}
		if got.lastID != wantID {
			t.Fatalf("%s: last event ID %q, want %q", tc.name, got.lastID, wantID)
		}
	}
}

func TestAppendTextErrors(t *testing.T) {
	tests := []struct {
		e   sse.Event
		err error
	}{
		{ev{ID: "a\nb", Data: "x"}, sse.ErrInvalidID},
		{ev{ID: "a\rb"}, sse.ErrInvalidID},
		{ev{ID: "\x00"}, sse.ErrInvalidID},
		{ev{ID: "a\r\n"}, sse.ErrInvalidID},
		{ev{Event: "a\n", Data: "x"}, sse.ErrInvalidType},
		{ev{Event: "\r"}, sse.ErrInvalidType},
		{ev{Retry: -1}, sse.ErrInvalidRetry},
		{ev{Retry: -time.Second, Data: "x"}, sse.ErrInvalidRetry},
		{ev{Retry: 1}, sse.ErrInvalidRetry},
		{ev{Retry: time.Millisecond - 1}, sse.ErrInvalidRetry},
		{ev{ID: "\n", Event: "\n", Retry: -1}, sse.ErrInvalidID},
	}
	for _, tc := range tests {
		buf := make([]byte, 3, 64)
		copy(buf, "abc")
		b, err := tc.e.AppendText(buf)
		if err != tc.err || string(b) != "abc" || &b[0] != &buf[0] {
			t.Errorf("AppendText(%q) = %q, %v; want \"abc\", %v", tc.e, b, err, tc.err)
		}
		if string(buf[:cap(buf)][3:6]) != "\x00\x00\x00" {
			t.Errorf("AppendText(%q) wrote past b", tc.e)
		}
		if m, err := tc.e.MarshalText(); m != nil || err != tc.err {
			t.Errorf("MarshalText(%q) = %q, %v", tc.e, m, err)
		}
	}
	for _, err := range []error{sse.ErrInvalidID, sse.ErrInvalidType, sse.ErrInvalidRetry} {
		if !strings.HasPrefix(err.Error(), "sse: ") {
			t.Errorf("error %q", err)
		}
	}
}

// TestAppendTextAllocs checks that encoding into a buffer with room
// allocates nothing, whatever the event holds.
func TestAppendTextAllocs(t *testing.T) {
	e := sse.Event{
		ID:      "12345",
		Event:   "update",
		Data:    strings.Repeat("0123456789\n", 20) + "a\r\nb\rc",
		Comment: "note\nmore",
		Retry:   2500 * time.Millisecond,
	}
	buf := make([]byte, 0, 1024)
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		if buf, err = e.AppendText(buf[:0]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("AppendText allocates %v times", allocs)
	}
	bad := sse.Event{ID: "a\nb"}
	allocs = testing.AllocsPerRun(100, func() { bad.AppendText(buf[:0]) })
	if allocs != 0 {
		t.Fatalf("failing AppendText allocates %v times", allocs)
	}
}

func TestConstants(t *testing.T) {
	if sse.ContentType != "text/event-stream" {
		t.Errorf("ContentType = %q", sse.ContentType)
	}
	if sse.DefaultMaxSize != 1<<20 {
		t.Errorf("DefaultMaxSize = %d", sse.DefaultMaxSize)
	}
	// The heartbeat changes nothing a client sees, wherever it comes.
	a := parse(t, 0, []byte("id: 1\ndata: a\n\n"+sse.Heartbeat+"data: b\n\n"+sse.Heartbeat))
	if len(a.events) != 2 || a.events[1] != (ev{ID: "1", Data: "b"}) || a.lastID != "1" || len(a.comments) != 2 {
		t.Errorf("with heartbeats: %v", a)
	}
}
