package frame_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/workerman-go/workerman/protocols"
)

// reference decodes data by the protocol's definition, simply and slowly.
// bad is the rejected length, if any.
func reference(data []byte, limit int) (msgs []string, rest []byte, bad bool, tooLarge bool) {
	max := uint64(effectiveLimit(limit))
	for {
		if len(data) < 4 {
			return msgs, data, false, false
		}
		length := uint64(binary.BigEndian.Uint32(data))
		if length < 4 {
			return msgs, data, true, false
		}
		if length-4 > max {
			return msgs, data, true, true
		}
		if uint64(len(data)) < length {
			return msgs, data, false, false
		}
		msgs = append(msgs, string(data[4:length]))
		data = data[length:]
	}
}

var fuzzSeeds = []string{
	"",
	"\x00\x00\x00",
	"\x00\x00\x00\x04",
	"\x00\x00\x00\x09hello",
	"\x00\x00\x00\x05a\x00\x00\x00\x04\x00\x00\x00\x06bb",
	"\x00\x00\x00\x00",
	"\x00\x00\x00\x03xyz",
	"\x00\x00\x00\x0c12345678",
	"\x00\x00\x00\x0d123456789",
	"\xff\xff\xff\xff",
	"\x00\xa0\x00\x04partial",
}

// FuzzDecode decodes arbitrary input at once and one byte at a time, checking
// every Decode result (see checkResult: among others, a message is an exact
// copy of bytes that arrived, so nothing is allocated for an announced
// length) and comparing both with reference.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), uint16(8))
		f.Add([]byte(s), uint16(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		lim := int(limit)
		wantMsgs, wantRest, wantErr, wantTooLarge := reference(data, lim)
		bytewise := make([][]byte, len(data))
		for i := range data {
			bytewise[i] = data[i : i+1]
		}
		for _, chunks := range [][][]byte{{data}, bytewise} {
			r := drive(t, lim, chunks...)
			if !slices.Equal(r.msgs, wantMsgs) {
				t.Fatalf("%d chunks: messages = %q, want %q", len(chunks), r.msgs, wantMsgs)
			}
			if wantErr {
				if r.err == nil || errors.Is(r.err, protocols.ErrPackageTooLarge) != wantTooLarge {
					t.Fatalf("%d chunks: err = %v, want an error (too large: %v)", len(chunks), r.err, wantTooLarge)
				}
				continue
			}
			if r.err != nil || !bytes.Equal(r.rest, wantRest) {
				t.Fatalf("%d chunks: err = %v, rest = %q; want nil, %q", len(chunks), r.err, r.rest, wantRest)
			}
		}
		// Waiting for a payload, whatever length it announces, allocates
		// nothing.
		if !wantErr && len(wantRest) > 0 {
			c := newCodec(lim)
			allocs := testing.AllocsPerRun(1, func() { c.Decode(wantRest) })
			if allocs != 0 {
				t.Fatalf("need-more Decode(%q) allocates %v times", wantRest, allocs)
			}
		}
	})
}

// FuzzRoundTrip checks that any payload Encode accepts decodes back to the
// same bytes, alone, twice in a row, and one byte at a time.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		c := newCodec(0)
		wire, err := c.Encode([]byte("prefix"), payload)
		if err != nil {
			t.Fatal(err)
		}
		if string(wire[:6]) != "prefix" {
			t.Fatalf("Encode changed dst: %q", wire[:6])
		}
		wire = wire[6:]
		fromString, err := c.Encode(nil, string(payload))
		if err != nil || !bytes.Equal(fromString, wire) {
			t.Fatalf("Encode(string) = %q, %v; Encode([]byte) = %q", fromString, err, wire)
		}

		msg, n, _, err := c.Decode(wire)
		if err != nil || n != len(wire) || !bytes.Equal(msg, payload) {
			t.Fatalf("Decode = (%q, %d, %v), want (%q, %d, nil)", msg, n, err, payload, len(wire))
		}

		twice := append(slices.Clone(wire), wire...)
		bytewise := make([][]byte, len(twice))
		for i := range twice {
			bytewise[i] = twice[i : i+1]
		}
		want := []string{string(payload), string(payload)}
		for _, chunks := range [][][]byte{{twice}, bytewise} {
			r := drive(t, 0, chunks...)
			if r.err != nil || len(r.rest) != 0 || !slices.Equal(r.msgs, want) {
				t.Fatalf("%d chunks: decoded %q (err %v, rest %q), want %q", len(chunks), r.msgs, r.err, r.rest, want)
			}
		}
	})
}
