package sse_test

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/protocols/sse"
)

// chunkings returns the ways the fuzzers deliver stream: whole, one byte at
// a time, and in three chunks cut at the given points.
func chunkings(stream []byte, cut1, cut2 uint16) [][][]byte {
	n := len(stream) + 1
	i, j := int(cut1)%n, int(cut2)%n
	if i > j {
		i, j = j, i
	}
	return [][][]byte{{stream}, bytewise(stream), {stream[:i], stream[i:j], stream[j:]}}
}

// FuzzParse interprets arbitrary bytes, delivered in several ways, with the
// Parser and with a Decoder, and requires the reference's result every time.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.in), uint8(tc.max), uint16(len(tc.in)/3), uint16(len(tc.in)/2))
	}
	for _, tc := range encodeCases {
		f.Add([]byte(tc.wire), uint8(0), uint16(1), uint16(len(tc.wire)-1))
	}
	f.Fuzz(func(t *testing.T, stream []byte, max uint8, cut1, cut2 uint16) {
		want := reference(stream, int(max))
		for _, chunks := range chunkings(stream, cut1, cut2) {
			if got := parse(t, int(max), chunks...); !got.equal(want) {
				t.Fatalf("chunks %q:\ngot  %v\nwant %v", chunks, got, want)
			}
		}
		for _, r := range []io.Reader{bytes.NewReader(stream), iotest.OneByteReader(bytes.NewReader(stream))} {
			p := &sse.Parser{MaxSize: int(max)}
			d := sse.NewDecoder(r, p)
			var events []sse.Event
			var err error
			for {
				var e sse.Event
				if e, err = d.Next(); err != nil {
					break
				}
				events = append(events, e)
			}
			if !slices.Equal(events, want.events) || p.LastEventID() != want.lastID {
				t.Fatalf("Decoder: events %q, last ID %q; want %q, %q", events, p.LastEventID(), want.events, want.lastID)
			}
			if want.err != nil && !errors.Is(err, protocols.ErrPackageTooLarge) || want.err == nil && err != io.EOF {
				t.Fatalf("Decoder: err = %v, want %v", err, want.err)
			}
		}
	})
}

// FuzzRoundTrip encodes arbitrary events. An event the encoder refuses must
// be refused for the documented reason, leaving the buffer as it was. Any
// other must come out of the parser, after a heartbeat and twice in a row,
// as documented: Data and Comment with every line end made "\n", Retry in
// whole milliseconds, an event dispatched only when Data or Event is set.
func FuzzRoundTrip(f *testing.F) {
	for _, tc := range encodeCases {
		e := tc.e
		f.Add(e.ID, e.Event, e.Data, e.Comment, int64(e.Retry), uint16(3), uint16(20))
	}
	f.Add("a\nb", "", "", "", int64(0), uint16(0), uint16(0))
	f.Add("", "x\r", "", "", int64(0), uint16(0), uint16(0))
	f.Add("", "", "", "", int64(999_999), uint16(0), uint16(0))
	f.Fuzz(func(t *testing.T, id, typ, data, comment string, retry int64, cut1, cut2 uint16) {
		e := sse.Event{ID: id, Event: typ, Data: data, Comment: comment, Retry: time.Duration(retry)}
		var wantErr error
		switch {
		case strings.ContainsAny(id, "\r\n\x00"):
			wantErr = sse.ErrInvalidID
		case strings.ContainsAny(typ, "\r\n"):
			wantErr = sse.ErrInvalidType
		case e.Retry < 0 || 0 < e.Retry && e.Retry < time.Millisecond:
			wantErr = sse.ErrInvalidRetry
		}
		prefix := []byte(sse.Heartbeat)
		stream, err := e.AppendText(prefix)
		if err != wantErr {
			t.Fatalf("AppendText(%q) error = %v, want %v", e, err, wantErr)
		}
		if err != nil {
			if string(stream) != sse.Heartbeat {
				t.Fatalf("AppendText(%q) failed with %q", e, stream)
			}
			return
		}
		block := stream[len(prefix):]
		checkBlock(t, e, block)
		stream = append(stream, block...)

		normalize := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace
		var want result
		want.comments = []string{""}
		if comment != "" {
			lines := strings.Split(normalize(comment), "\n")
			want.comments = append(want.comments, lines...)
			want.comments = append(want.comments, lines...)
		}
		if data != "" || typ != "" {
			got := sse.Event{ID: id, Event: typ, Data: normalize(data), Retry: e.Retry.Truncate(time.Millisecond)}
			want.events = []sse.Event{got, got}
		}
		want.lastID = id
		want.retry, want.retrySet = e.Retry.Truncate(time.Millisecond), e.Retry > 0

		if ref := reference(stream, 0); !ref.equal(want) {
			t.Fatalf("reference of %q:\ngot  %v\nwant %v", stream, ref, want)
		}
		for _, chunks := range chunkings(stream, cut1, cut2) {
			if got := parse(t, 0, chunks...); !got.equal(want) {
				t.Fatalf("chunks %q:\ngot  %v\nwant %v", chunks, got, want)
			}
		}
	})
}

// checkBlock checks the shape of one encoded block: lines ending in "\n"
// only, each starting with a field the event sets, and no blank line before
// the final one, which would end the block early.
func checkBlock(t *testing.T, e sse.Event, block []byte) {
	t.Helper()
	if bytes.IndexByte(block, '\r') >= 0 || !bytes.HasSuffix(block, []byte("\n")) {
		t.Fatalf("block %q: has CR or does not end with LF", block)
	}
	lines := strings.Split(string(block[:len(block)-1]), "\n")
	if lines[len(lines)-1] != "" {
		t.Fatalf("block %q does not end with a blank line", block)
	}
	for _, line := range lines[:len(lines)-1] {
		ok := false
		switch {
		case line == "":
		case line[0] == ':':
			ok = e.Comment != ""
		case strings.HasPrefix(line, "id: "):
			ok = e.ID != ""
		case strings.HasPrefix(line, "event: "):
			ok = e.Event != ""
		case strings.HasPrefix(line, "retry: "):
			ok = e.Retry != 0
		case line == "data:" || strings.HasPrefix(line, "data: "):
			ok = e.Data != "" || e.Event != ""
		}
		if !ok {
			t.Fatalf("block %q: unexpected line %q", block, line)
		}
	}
}
