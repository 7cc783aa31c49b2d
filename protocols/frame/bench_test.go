package frame_test

import (
	"bytes"
	"testing"
)

// BenchmarkDecode decodes one frame with a 64-byte payload.
func BenchmarkDecode(b *testing.B) {
	payload := bytes.Repeat([]byte("x"), 64)
	c := newCodec(0)
	wire, err := c.Encode(nil, payload)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		msg, n, _, err := c.Decode(wire)
		if err != nil || n != len(wire) || len(msg) != 64 {
			b.Fatalf("Decode = (%d bytes, %d, %v)", len(msg), n, err)
		}
	}
}

// BenchmarkEncode encodes one 64-byte payload.
func BenchmarkEncode(b *testing.B) {
	payload := bytes.Repeat([]byte("x"), 64)
	c := newCodec(0)
	dst := make([]byte, 0, 128)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload) + 4))
	for b.Loop() {
		var err error
		if dst, err = c.Encode(dst[:0], payload); err != nil {
			b.Fatal(err)
		}
	}
}
