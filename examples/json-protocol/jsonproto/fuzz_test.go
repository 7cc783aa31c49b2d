package jsonproto_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/examples/json-protocol/jsonproto"
	"github.com/workerman-go/workerman/protocols"
)

// reference decodes data by the definition of the wire format, simply.
// tooLarge and invalid tell why it stopped at rest, if not for want of
// bytes.
func reference(data []byte, limit int) (msgs []any, rest []byte, tooLarge, invalid bool) {
	if limit <= 0 {
		limit = jsonproto.DefaultMaxPackageSize
	}
	for len(data) >= 4 {
		size := uint64(binary.BigEndian.Uint32(data))
		if size > uint64(limit) {
			return msgs, data, true, false
		}
		if uint64(len(data)) < 4+size {
			break
		}
		var v any
		if json.Unmarshal(data[4:4+size], &v) != nil {
			return msgs, data, false, true
		}
		msgs = append(msgs, v)
		data = data[4+size:]
	}
	return msgs, data, false, false
}

type driven struct {
	msgs []any
	rest []byte
	err  error
}

// drive feeds the chunks to a codec as the framework does: it appends each
// to what is buffered, then decodes until the codec needs more bytes or
// fails, checking every result against the Codec contract.
func drive(t *testing.T, limit int, chunks ...[]byte) driven {
	t.Helper()
	c := jsonproto.Protocol[any]().NewCodec(protocols.Limits{MaxPackageSize: limit})
	var r driven
	for _, chunk := range chunks {
		r.rest = append(r.rest, chunk...)
		for {
			m, n, skip, err := c.Decode(r.rest)
			if skip {
				t.Fatalf("Decode(%q): skip; the protocol has no control messages", r.rest)
			}
			if err != nil {
				if n != 0 || m != nil {
					t.Fatalf("Decode(%q) failed with %v but returned %v, %d", r.rest, err, m, n)
				}
				r.err = err
				return r
			}
			if n == 0 {
				if m != nil {
					t.Fatalf("Decode(%q) needs more bytes but returned %v", r.rest, m)
				}
				break
			}
			if n < 4 || n > len(r.rest) || uint64(n-4) != uint64(binary.BigEndian.Uint32(r.rest)) {
				t.Fatalf("Decode(%q) consumed %d bytes, not one whole message", r.rest, n)
			}
			r.msgs = append(r.msgs, m)
			r.rest = r.rest[n:]
		}
	}
	return r
}

var decodeSeeds = []string{
	"",
	"\x00\x00\x00",
	"\x00\x00\x00\x00",
	"\x00\x00\x00\x02{}",
	"\x00\x00\x00\x01" + "7" + "\x00\x00\x00\x04null" + "\x00\x00",
	"\x00\x00\x00\x18" + `{"op":"add","a":1,"b":2}`,
	"\x00\x00\x00\x05{} {}",
	"\x00\x00\x00\x08\"\\u00e9\xff\"",
	"\x00\x00\x00\x09\x00\x00\x00\x05[1,2]",
	"\xff\xff\xff\xff{}",
	"\x00\x00\x01\x00partial",
}

// FuzzDecode decodes arbitrary input at once and one byte at a time, checks
// every Decode result against the Codec contract (see drive), compares both
// runs with reference, and checks that waiting for a body allocates nothing,
// whatever length it announces.
func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s), uint16(16))
		f.Add([]byte(s), uint16(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		lim := int(limit)
		wantMsgs, wantRest, tooLarge, invalid := reference(data, lim)
		bytewise := make([][]byte, len(data))
		for i := range data {
			bytewise[i] = data[i : i+1]
		}
		for _, chunks := range [][][]byte{{data}, bytewise} {
			r := drive(t, lim, chunks...)
			if !reflect.DeepEqual(r.msgs, wantMsgs) {
				t.Fatalf("%d chunks: messages %#v, want %#v", len(chunks), r.msgs, wantMsgs)
			}
			switch {
			case tooLarge:
				if !errors.Is(r.err, protocols.ErrPackageTooLarge) {
					t.Fatalf("%d chunks: err = %v, want ErrPackageTooLarge", len(chunks), r.err)
				}
			case invalid:
				if r.err == nil || errors.Is(r.err, protocols.ErrPackageTooLarge) {
					t.Fatalf("%d chunks: err = %v, want a JSON error", len(chunks), r.err)
				}
			default:
				if r.err != nil || !bytes.Equal(r.rest, wantRest) {
					t.Fatalf("%d chunks: err = %v, rest = %q; want nil, %q", len(chunks), r.err, r.rest, wantRest)
				}
			}
		}
		if !tooLarge && !invalid && len(wantRest) > 0 {
			c := jsonproto.Protocol[any]().NewCodec(protocols.Limits{MaxPackageSize: lim})
			if allocs := testing.AllocsPerRun(1, func() { c.Decode(wantRest) }); allocs != 0 {
				t.Fatalf("need-more Decode(%q) allocates %v times", wantRest, allocs)
			}
		}
	})
}

type record struct {
	S string         `json:"s"`
	X float64        `json:"x"`
	N int64          `json:"n"`
	B bool           `json:"b"`
	L []string       `json:"l"`
	M map[string]int `json:"m"`
}

// FuzzRoundTrip checks that a struct built from arbitrary values survives
// Encode and Decode, alone, twice in a row and one byte at a time, and that
// values JSON cannot carry (NaN, infinities) are refused by Encode.
func FuzzRoundTrip(f *testing.F) {
	f.Add("", 0.0, int64(0), false)
	f.Add(`{"op":"add"}`, -1.5, int64(math.MinInt64), true)
	f.Add("<&>\u2028\x00é", 1e300, int64(math.MaxInt64), true)
	f.Fuzz(func(t *testing.T, s string, x float64, n int64, b bool) {
		// encoding/json replaces invalid UTF-8 when it encodes: start valid.
		s = strings.ToValidUTF8(s, "?")
		in := record{S: s, X: x, N: n, B: b, L: []string{s, ""}, M: map[string]int{s: 1}}
		c := jsonproto.Protocol[record]().NewCodec(protocols.Limits{MaxPackageSize: math.MaxInt32})
		wire, err := c.Encode(nil, in)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			if err == nil {
				t.Fatalf("Encode of x = %v succeeded: %q", x, wire)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		twice := append(bytes.Clone(wire), wire...)
		bytewise := make([][]byte, len(twice))
		for i := range twice {
			bytewise[i] = twice[i : i+1]
		}
		for _, chunks := range [][][]byte{{wire}, {twice}, bytewise} {
			var got []record
			var buf []byte
			for _, chunk := range chunks {
				buf = append(buf, chunk...)
				for {
					m, k, _, err := c.Decode(buf)
					if err != nil {
						t.Fatalf("Decode(%q): %v", buf, err)
					}
					if k == 0 {
						break
					}
					got = append(got, m)
					buf = buf[k:]
				}
			}
			if len(buf) != 0 || len(got) == 0 {
				t.Fatalf("%d chunks: %d messages, %d bytes left", len(chunks), len(got), len(buf))
			}
			for _, m := range got {
				if !reflect.DeepEqual(m, in) {
					t.Fatalf("%d chunks: decoded %+v, want %+v", len(chunks), m, in)
				}
			}
		}
	})
}
