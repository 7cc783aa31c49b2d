package text_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/protocols"
)

// reference decodes data by the protocol's definition, simply and slowly.
func reference(data []byte, limit int) (msgs []string, rest []byte, tooLarge bool) {
	max := effectiveLimit(limit)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			least := len(data)
			if least > 0 && data[least-1] == '\r' {
				least--
			}
			return msgs, data, least > max
		}
		line := data[:i]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(line) > max {
			return msgs, data, true
		}
		msgs = append(msgs, string(line))
		data = data[i+1:]
	}
}

var fuzzSeeds = []string{
	"",
	"hello\n",
	"a\nbb\nccc\n",
	"a\r\nb\r\n",
	"\r\n\r\n",
	"a\rb\n",
	"a\r\r\n",
	"\r",
	"12345678\r",
	"12345678\r\n",
	"123456789\n",
	"\x00\x00\n\xff",
	"no newline at all",
}

// FuzzDecode decodes arbitrary input at once and one byte at a time, checking
// every Decode result (see checked) and comparing both with reference.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), uint16(8))
		f.Add([]byte(s), uint16(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		lim := int(limit)
		wantMsgs, wantRest, wantTooLarge := reference(data, lim)
		bytewise := make([][]byte, len(data))
		for i := range data {
			bytewise[i] = data[i : i+1]
		}
		for _, chunks := range [][][]byte{{data}, bytewise} {
			r := drive(t, lim, chunks...)
			if !slices.Equal(r.msgs, wantMsgs) {
				t.Fatalf("%d chunks: messages = %q, want %q", len(chunks), r.msgs, wantMsgs)
			}
			if wantTooLarge {
				if !errors.Is(r.err, protocols.ErrPackageTooLarge) {
					t.Fatalf("%d chunks: err = %v, want ErrPackageTooLarge", len(chunks), r.err)
				}
				continue
			}
			if r.err != nil || !bytes.Equal(r.rest, wantRest) {
				t.Fatalf("%d chunks: err = %v, rest = %q; want nil, %q", len(chunks), r.err, r.rest, wantRest)
			}
		}
		// Waiting for the rest of a line allocates nothing.
		if !wantTooLarge && len(wantRest) > 0 {
			c := newCodec(lim)
			allocs := testing.AllocsPerRun(1, func() { c.Decode(wantRest) })
			if allocs != 0 {
				t.Fatalf("need-more Decode(%q) allocates %v times", wantRest, allocs)
			}
		}
	})
}

// FuzzRoundTrip checks that what Encode writes, Decode reads back: a payload
// without '\n' and not ending in '\r' comes back unchanged; any other payload
// comes back as its lines, each without one trailing '\r'.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		c := newCodec(0)
		wire, err := c.Encode([]byte("prefix"), payload)
		if err != nil {
			t.Fatal(err)
		}
		if string(wire) != "prefix"+payload+"\n" {
			t.Fatalf("Encode(%q) = %q", payload, wire)
		}
		wireBytes, err := c.Encode(nil, []byte(payload))
		if err != nil || !bytes.Equal(wireBytes, wire[len("prefix"):]) {
			t.Fatalf("Encode([]byte) = %q, %v; Encode(string) = %q", wireBytes, err, wire[len("prefix"):])
		}

		var want []string
		for _, line := range strings.Split(payload, "\n") {
			want = append(want, strings.TrimSuffix(line, "\r"))
		}
		r := drive(t, 0, wireBytes)
		if r.err != nil || len(r.rest) != 0 || !slices.Equal(r.msgs, want) {
			t.Fatalf("decoded %q (err %v, rest %q), want %q", r.msgs, r.err, r.rest, want)
		}
		if !strings.Contains(payload, "\n") && !strings.HasSuffix(payload, "\r") && r.msgs[0] != payload {
			t.Fatalf("round trip of %q gave %q", payload, r.msgs[0])
		}
	})
}
