package sse_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/protocols/sse"
)

type ev = sse.Event

type parseCase struct {
	name     string
	in       string
	max      int
	events   []sse.Event
	comments []string
	lastID   string
	retry    time.Duration
	retrySet bool
	tooLarge bool
}

var parseCases = []parseCase{
	{name: "empty stream"},
	{name: "one event", in: "data: hello\n\n", events: []ev{{Data: "hello"}}},

	// The byte order mark.
	{name: "bom at start", in: "\xEF\xBB\xBFdata: a\n\n", events: []ev{{Data: "a"}}},
	{name: "bom alone", in: "\xEF\xBB\xBF"},
	{name: "bom then blank line", in: "\xEF\xBB\xBF\ndata: a\n\n", events: []ev{{Data: "a"}}},
	{name: "second bom is part of the field name", in: "\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\n"},
	{name: "bom in a value is data", in: "\xEF\xBB\xBFdata: \xEF\xBB\xBFa\n\n", events: []ev{{Data: "\uFEFFa"}}},
	{name: "bom after the start is not skipped", in: "data: a\n\n\xEF\xBB\xBFdata: b\n\n", events: []ev{{Data: "a"}}},
	{name: "partial bom is part of the name", in: "\xEF\xBBdata: a\n\n"},
	{name: "partial bom then line end", in: "\xEF\xBB\ndata: a\n\n", events: []ev{{Data: "a"}}},
	{name: "partial bom only", in: "\xEF\xBB"},
	{name: "bom start byte alone as a field", in: "\xEF\ndata: a\n\n", events: []ev{{Data: "a"}}},
	{name: "bom bytes in another order", in: "\xBB\xEF\xBFdata: a\n\n"},

	// Line ends.
	{name: "lf", in: "data: a\ndata: b\n\n", events: []ev{{Data: "a\nb"}}},
	{name: "cr", in: "data: a\rdata: b\r\r", events: []ev{{Data: "a\nb"}}},
	{name: "crlf", in: "data: a\r\ndata: b\r\n\r\n", events: []ev{{Data: "a\nb"}}},
	{name: "mixed", in: "data: a\ndata: b\r\ndata: c\r\r\n", events: []ev{{Data: "a\nb\nc"}}},
	{name: "lf cr is two line ends", in: "data: a\n\rdata: b\n\n", events: []ev{{Data: "a"}, {Data: "b"}}},
	{name: "cr cr lf", in: "data: a\r\r\ndata: b\r\n\n", events: []ev{{Data: "a"}, {Data: "b"}}},
	{name: "blank lines of each kind", in: "data: a\n\ndata: b\r\rdata: c\r\n\r\n\n\r\r\n",
		events: []ev{{Data: "a"}, {Data: "b"}, {Data: "c"}}},
	{name: "many blank lines", in: "\n\r\n\r\ndata: x\n\n\n\n", events: []ev{{Data: "x"}}},
	{name: "cr at end of stream ends the line", in: "data: a\r\r", events: []ev{{Data: "a"}}},

	// Fields and values.
	{name: "data without colon", in: "data\n\n", events: []ev{{Data: ""}}},
	{name: "data colon", in: "data:\n\n", events: []ev{{Data: ""}}},
	{name: "data colon space", in: "data: \n\n", events: []ev{{Data: ""}}},
	{name: "one space removed", in: "data:  x\n\n", events: []ev{{Data: " x"}}},
	{name: "no space", in: "data:x\n\n", events: []ev{{Data: "x"}}},
	{name: "tab kept", in: "data:\tx\n\n", events: []ev{{Data: "\tx"}}},
	{name: "trailing space kept", in: "data: x \n\n", events: []ev{{Data: "x "}}},
	{name: "two empty data lines", in: "data\ndata\n\n", events: []ev{{Data: "\n"}}},
	{name: "data lines joined", in: "data: a\ndata:\ndata: b\n\n", events: []ev{{Data: "a\n\nb"}}},
	{name: "colon in value", in: "data: a:b\ndata::c\n\n", events: []ev{{Data: "a:b\n:c"}}},
	{name: "space before colon", in: "data : x\n\n"},
	{name: "names are case-sensitive", in: "Data: x\nDATA: y\n\n"},
	{name: "space line is a field", in: " \ndata: x\n\n", events: []ev{{Data: "x"}}},
	{name: "unknown fields ignored", in: "foo: bar\ndata: x\nbaz\nretryx: 5\n\n", events: []ev{{Data: "x"}}},
	{name: "nul and binary kept", in: "data: a\x00b\xff\n\n", events: []ev{{Data: "a\x00b\xff"}}},

	// Comments.
	{name: "comments", in: ": hello\n:\n:  two\n:x\n: \n", comments: []string{"hello", "", " two", "x", ""}},
	{name: "comments inside an event", in: "data: a\n: c\ndata: b\n\n", events: []ev{{Data: "a\nb"}}, comments: []string{"c"}},
	{name: "comment is not a blank line", in: "data: a\n:\ndata: b\n\n", events: []ev{{Data: "a\nb"}}, comments: []string{""}},
	{name: "heartbeat", in: sse.Heartbeat, comments: []string{""}},

	// Event types.
	{name: "event type", in: "event: add\ndata: 1\n\n", events: []ev{{Event: "add", Data: "1"}}},
	{name: "type reset after dispatch", in: "event: a\ndata: 1\n\ndata: 2\n\n",
		events: []ev{{Event: "a", Data: "1"}, {Data: "2"}}},
	{name: "type reset by a block without data", in: "event: a\n\ndata: 2\n\n", events: []ev{{Data: "2"}}},
	{name: "last type wins", in: "event: a\nevent: b\ndata: x\n\n", events: []ev{{Event: "b", Data: "x"}}},
	{name: "empty type", in: "event: a\nevent:\ndata: x\n\n", events: []ev{{Data: "x"}}},
	{name: "type with nul", in: "event: a\x00\ndata: x\n\n", events: []ev{{Event: "a\x00", Data: "x"}}},
	{name: "repeated type", in: "event: a\ndata: 1\n\nevent: a\ndata: 2\n\nevent: b\ndata: 3\n\nevent: a\ndata: 4\n\n",
		events: []ev{{Event: "a", Data: "1"}, {Event: "a", Data: "2"}, {Event: "b", Data: "3"}, {Event: "a", Data: "4"}}},

	// Event IDs.
	{name: "id", in: "id: 1\ndata: x\n\n", events: []ev{{ID: "1", Data: "x"}}, lastID: "1"},
	{name: "id persists", in: "id: 7\ndata: a\n\ndata: b\n\n", events: []ev{{ID: "7", Data: "a"}, {ID: "7", Data: "b"}}, lastID: "7"},
	{name: "id after data in the block", in: "data: a\nid: 3\n\n", events: []ev{{ID: "3", Data: "a"}}, lastID: "3"},
	{name: "id only block", in: "id: 9\n\n", lastID: "9"},
	{name: "id with nul ignored", in: "id: 1\n\nid: a\x00b\ndata: x\n\n", events: []ev{{ID: "1", Data: "x"}}, lastID: "1"},
	{name: "empty id resets", in: "id: 1\ndata: a\n\nid\ndata: b\n\nid: 2\n\nid:\n\n",
		events: []ev{{ID: "1", Data: "a"}, {Data: "b"}}},
	{name: "id with space kept", in: "id:  1 \ndata: x\n\n", events: []ev{{ID: " 1 ", Data: "x"}}, lastID: " 1 "},
	{name: "id of unfinished block not applied", in: "id: 1\n\nid: 2\ndata: x\n", lastID: "1"},
	{name: "id changes twice in a block", in: "id: 1\nid: 2\ndata: x\n\n", events: []ev{{ID: "2", Data: "x"}}, lastID: "2"},

	// Reconnection time.
	{name: "retry", in: "retry: 1500\ndata: x\n\n", events: []ev{{Data: "x", Retry: 1500 * time.Millisecond}},
		retry: 1500 * time.Millisecond, retrySet: true},
	{name: "retry only block", in: "retry: 5\n\n", retry: 5 * time.Millisecond, retrySet: true},
	{name: "retry applies at once", in: "retry: 5\n", retry: 5 * time.Millisecond, retrySet: true},
	{name: "retry is per block in events", in: "retry: 5\ndata: a\n\ndata: b\n\n",
		events: []ev{{Data: "a", Retry: 5 * time.Millisecond}, {Data: "b"}}, retry: 5 * time.Millisecond, retrySet: true},
	{name: "retry zero", in: "retry: 0\n", retry: 0, retrySet: true},
	{name: "retry leading zeros", in: "retry: 007\n", retry: 7 * time.Millisecond, retrySet: true},
	{name: "retry no space", in: "retry:12\n", retry: 12 * time.Millisecond, retrySet: true},
	{name: "retry largest", in: "retry: 9223372036854\n", retry: 9223372036854 * time.Millisecond, retrySet: true},
	{name: "retry overflow ignored", in: "retry: 9223372036855\nretry: 99999999999999999999999\n"},
	{name: "retry non-digits ignored", in: "retry: 15x\nretry: x15\nretry: -1\nretry: +1\nretry: 1.5\nretry: 0x10\nretry: 1 \n"},
	{name: "retry two spaces ignored", in: "retry:  15\n"},
	{name: "retry empty ignored", in: "retry\nretry:\nretry: \n"},
	{name: "retry invalid keeps previous", in: "retry: 10\nretry: x\n", retry: 10 * time.Millisecond, retrySet: true},
	{name: "retry non-ascii digits ignored", in: "retry: \u0661\n"},

	// End of stream.
	{name: "unfinished event discarded", in: "data: a\n\ndata: b\n", events: []ev{{Data: "a"}}},
	{name: "unfinished line discarded", in: "data: a\n\ndata: b", events: []ev{{Data: "a"}}},
	{name: "unfinished comment discarded", in: ": a\n: b", comments: []string{"a"}},
	{name: "empty data block not dispatched", in: "event: a\nid: 1\n\n", lastID: "1"},

	// MaxSize.
	{name: "line at the limit", max: 8, in: "data: ab\n\n", events: []ev{{Data: "ab"}}},
	{name: "crlf line at the limit", max: 8, in: "data: ab\r\n\r\n", events: []ev{{Data: "ab"}}},
	{name: "unfinished line at the limit", max: 8, in: "data: ab"},
	{name: "unfinished line at the limit with cr", max: 8, in: "data: ab\r"},
	{name: "line over the limit", max: 8, in: "data: abc\n\n", tooLarge: true},
	{name: "unfinished line over the limit", max: 8, in: "data: abc", tooLarge: true},
	{name: "comment over the limit", max: 8, in: ": 1234567\n", tooLarge: true},
	{name: "events before the error", max: 8, in: "data: a\n\nid: 1\n\n: 1234567\ndata: b\n\n",
		events: []ev{{Data: "a"}}, lastID: "1", tooLarge: true},
	{name: "data at the limit", max: 8, in: "data:ab\ndata:ab\ndata:ab\n\n", events: []ev{{Data: "ab\nab\nab"}}},
	{name: "data at the limit with empty line", max: 8, in: "data:abc\ndata:abc\ndata\n\n", events: []ev{{Data: "abc\nabc\n"}}},
	{name: "data over the limit", max: 8, in: "data:ab\ndata:ab\ndata:abc\n\n", tooLarge: true},
	{name: "data over the limit by an empty line", max: 8, in: "data:ab\ndata:ab\ndata:ab\ndata\n\n", tooLarge: true},
	{name: "data limit is per event", max: 8, in: "data:ab\ndata:ab\n\ndata:ab\ndata:ab\ndata:ab\n\n",
		events: []ev{{Data: "ab\nab"}, {Data: "ab\nab\nab"}}},
	{name: "limit 1", max: 1, in: "\n\n:\n", comments: []string{""}},
	{name: "limit 1 over", max: 1, in: "::", tooLarge: true},
	{name: "partial bom does not count", max: 1, in: "\xEF\xBB"},
	{name: "held bom bytes count", max: 1, in: "\xEF\xBBx", tooLarge: true},
}

func (tc parseCase) want() result {
	r := result{events: tc.events, comments: tc.comments, lastID: tc.lastID, retry: tc.retry, retrySet: tc.retrySet}
	if tc.tooLarge {
		r.err = errTooLarge
	}
	return r
}

// TestParse feeds every case whole, in every two-chunk split and one byte at
// a time, and checks the reference interpretation against the same table.
func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want()
			if got := reference([]byte(tc.in), tc.max); !got.equal(want) {
				t.Errorf("reference: %v\nwant       %v", got, want)
			}
			for _, chunks := range splits([]byte(tc.in)) {
				if got := parse(t, tc.max, chunks...); !got.equal(want) {
					t.Fatalf("chunks %q:\ngot  %v\nwant %v", chunks, got, want)
				}
			}
		})
	}
}

// TestParseStream runs the whole table as one stream, each case separated by
// a blank line, in every two-chunk split: state must carry over correctly.
func TestParseStream(t *testing.T) {
	var stream []byte
	for _, tc := range parseCases {
		if tc.max == 0 && !strings.HasPrefix(tc.in, "\xEF") {
			stream = append(stream, tc.in...)
			stream = append(stream, "\n\n"...)
		}
	}
	want := reference(stream, 0)
	if len(want.events) < 40 {
		t.Fatalf("reference found only %d events", len(want.events))
	}
	for _, chunks := range splits(stream) {
		if got := parse(t, 0, chunks...); !got.equal(want) {
			t.Fatalf("split at %d:\ngot  %v\nwant %v", len(chunks[0]), got, want)
		}
	}
}

func TestParseErrorWording(t *testing.T) {
	var p sse.Parser
	p.MaxSize = 4
	err := p.Feed([]byte("12345"), nil)
	if !errors.Is(err, protocols.ErrPackageTooLarge) || err.Error() != "sse: line longer than MaxSize 4: package exceeds MaxPackageSize" {
		t.Errorf("err = %v", err)
	}
	p.Reset()
	p.MaxSize = 8
	err = p.Feed([]byte("data:abc\ndata:abc\ndata:abc\n"), nil)
	if !errors.Is(err, protocols.ErrPackageTooLarge) || err.Error() != "sse: event data longer than MaxSize 8: package exceeds MaxPackageSize" {
		t.Errorf("err = %v", err)
	}
}

// TestParseDefaultMaxSize checks the 1 MiB default at its boundary.
func TestParseDefaultMaxSize(t *testing.T) {
	value := bytes.Repeat([]byte("x"), sse.DefaultMaxSize-len("data:"))
	line := append([]byte("data:"), value...)
	for _, max := range []int{0, -1} {
		p := sse.Parser{MaxSize: max}
		var got []sse.Event
		emit := func(e sse.Event) { got = append(got, e) }
		if err := p.Feed(line, emit); err != nil {
			t.Fatalf("MaxSize %d: unfinished line of the default size: %v", max, err)
		}
		if err := p.Feed([]byte("\n\n"), emit); err != nil || len(got) != 1 || got[0].Data != string(value) {
			t.Fatalf("MaxSize %d: line of the default size: err %v, %d events", max, err, len(got))
		}
		if err := p.Feed(append(line, 'x'), emit); !errors.Is(err, protocols.ErrPackageTooLarge) {
			t.Fatalf("MaxSize %d: line over the default: err = %v", max, err)
		}
	}
}

func TestParseReset(t *testing.T) {
	var comments []string
	p := sse.Parser{MaxSize: 16, OnComment: func(c string) { comments = append(comments, c) }}
	var got []sse.Event
	emit := func(e sse.Event) { got = append(got, e) }
	if err := p.Feed([]byte("\xEF\xBB\xBFid: 1\nretry: 10\ndata: a\n\nevent: t\ndata: part"), emit); err != nil {
		t.Fatal(err)
	}
	p.Reset()
	if id := p.LastEventID(); id != "" {
		t.Errorf("LastEventID after Reset = %q", id)
	}
	if d, ok := p.Retry(); d != 0 || ok {
		t.Errorf("Retry after Reset = %v, %v", d, ok)
	}
	// A new stream: its BOM is skipped, nothing of the old block remains.
	if err := p.Feed([]byte("\xEF\xBB\xBF: c\ndata: b\n\n"), emit); err != nil {
		t.Fatal(err)
	}
	want := []sse.Event{{ID: "1", Data: "a", Retry: 10 * time.Millisecond}, {Data: "b"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] || len(comments) != 1 || comments[0] != "c" {
		t.Fatalf("events %q, comments %q", got, comments)
	}
	// Reset also clears a stopping error but keeps MaxSize.
	if err := p.Feed(bytes.Repeat([]byte("x"), 17), emit); err == nil {
		t.Fatal("MaxSize lost by Reset")
	}
	p.Reset()
	if err := p.Feed([]byte("data: c\n\n"), emit); err != nil || len(got) != 3 {
		t.Fatalf("after Reset: err %v, %d events", err, len(got))
	}
}

// TestParseNilEmit checks that events can be dropped while the state (last
// event ID, retry) is still followed.
func TestParseNilEmit(t *testing.T) {
	var p sse.Parser
	if err := p.Feed([]byte("id: 4\nretry: 9\ndata: x\n\n"), nil); err != nil {
		t.Fatal(err)
	}
	if d, _ := p.Retry(); p.LastEventID() != "4" || d != 9*time.Millisecond {
		t.Fatalf("LastEventID %q, Retry %v", p.LastEventID(), d)
	}
	// The dropped event's block is gone: the next event starts afresh.
	if err := p.Feed([]byte("event: t\nretry: 1\ndata: y\n\n"), nil); err != nil {
		t.Fatal(err)
	}
	var got []sse.Event
	if err := p.Feed([]byte("data: z\n\n"), func(e sse.Event) { got = append(got, e) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != (sse.Event{ID: "4", Data: "z"}) {
		t.Fatalf("after dropped events: %q", got)
	}
}

// TestParseAllocs checks the cost of parsing: one allocation per event (its
// Data), none per line; a repeated type or ID is not allocated again.
func TestParseAllocs(t *testing.T) {
	block := "id: 42\nevent: tick\n: comment\nretry: 100\nunknown: x\ndata: line one\r\ndata: line two\r\r"
	const events = 50
	stream := []byte(strings.Repeat(block, events))
	var p sse.Parser
	n := 0
	emit := func(sse.Event) { n++ }
	if err := p.Feed(stream, emit); err != nil { // warm up: buffers, the ID and type strings
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		if err := p.Feed(stream, emit); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > events {
		t.Fatalf("%v allocations for %d events", allocs, events)
	}
	// Split inside lines: the carried-over line costs nothing either.
	allocs = testing.AllocsPerRun(20, func() {
		for i := 0; i < len(stream); i += 7 {
			if err := p.Feed(stream[i:min(i+7, len(stream))], emit); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs > events {
		t.Fatalf("split: %v allocations for %d events", allocs, events)
	}
	if n == 0 || n%events != 0 {
		t.Fatalf("%d events, want a multiple of %d", n, events)
	}
}

func TestDecoder(t *testing.T) {
	stream := "\xEF\xBB\xBFid: 1\ndata: a\r\n\r\n: c\nevent: x\ndata: b\rdata: c\r\rid: 2\n\ndata: unfinished\n"
	want := []sse.Event{{ID: "1", Data: "a"}, {ID: "1", Event: "x", Data: "b\nc"}}
	readers := map[string]func() io.Reader{
		"whole":    func() io.Reader { return strings.NewReader(stream) },
		"one byte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(stream)) },
		"half":     func() io.Reader { return iotest.HalfReader(strings.NewReader(stream)) },
		"data+eof": func() io.Reader { return iotest.DataErrReader(strings.NewReader(stream)) },
	}
	for name, r := range readers {
		t.Run(name, func(t *testing.T) {
			p := new(sse.Parser)
			d := sse.NewDecoder(r(), p)
			for i, w := range want {
				got, err := d.Next()
				if err != nil || got != w {
					t.Fatalf("event %d = %q, %v; want %q", i, got, err, w)
				}
			}
			for range 2 {
				if got, err := d.Next(); err != io.EOF || got != (sse.Event{}) {
					t.Fatalf("at the end: %q, %v; want io.EOF", got, err)
				}
			}
			if p.LastEventID() != "2" {
				t.Fatalf("LastEventID = %q", p.LastEventID())
			}
		})
	}
}

func TestDecoderErrors(t *testing.T) {
	// A read error comes after the events read before it.
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("data: a\n\ndata: b\n\ndata: c"), iotest.ErrReader(boom))
	d := sse.NewDecoder(r, nil)
	for _, want := range []string{"a", "b"} {
		if got, err := d.Next(); err != nil || got.Data != want {
			t.Fatalf("Next = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := d.Next(); err != boom {
		t.Fatalf("err = %v, want boom", err)
	}

	// So does the parser's error.
	d = sse.NewDecoder(strings.NewReader("data: a\n\ndata: 0123456789\n\n"), &sse.Parser{MaxSize: 10})
	if got, err := d.Next(); err != nil || got.Data != "a" {
		t.Fatalf("Next = %q, %v", got, err)
	}
	if _, err := d.Next(); !errors.Is(err, protocols.ErrPackageTooLarge) {
		t.Fatalf("err = %v, want ErrPackageTooLarge", err)
	}

	// A reader that returns nothing forever.
	d = sse.NewDecoder(emptyReader{}, nil)
	if _, err := d.Next(); err != io.ErrNoProgress {
		t.Fatalf("err = %v, want io.ErrNoProgress", err)
	}
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

// TestDecoderLargeEvent reads an event larger than the Decoder's buffer.
func TestDecoderLargeEvent(t *testing.T) {
	data := strings.Repeat("0123456789abcde\n", 10000)
	wire, err := sse.Event{Data: data, ID: "big"}.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	d := sse.NewDecoder(bytes.NewReader(wire), nil)
	got, err := d.Next()
	if err != nil || got.Data != data || got.ID != "big" {
		t.Fatalf("Next: %d bytes, id %q, %v", len(got.Data), got.ID, err)
	}
	if _, err := d.Next(); err != io.EOF {
		t.Fatalf("err = %v", err)
	}
}
