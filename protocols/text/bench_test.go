package text_test

import (
	"bytes"
	"testing"
)

// BenchmarkDecode decodes one 64-byte message.
func BenchmarkDecode(b *testing.B) {
	wire := append(bytes.Repeat([]byte("x"), 64), '\n')
	c := newCodec(0)
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		msg, n, _, err := c.Decode(wire)
		if err != nil || n != len(wire) || len(msg) != 64 {
			b.Fatalf("Decode = (%d bytes, %d, %v)", len(msg), n, err)
		}
	}
}

// BenchmarkDecodeLongLine decodes a 1 MiB line that arrives in 4 KiB reads,
// calling Decode after each read as the framework does.
func BenchmarkDecodeLongLine(b *testing.B) {
	const size, read = 1 << 20, 4 << 10
	wire := append(bytes.Repeat([]byte("x"), size), '\n')
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		c := newCodec(0)
		for end := read; ; end += read {
			end = min(end, len(wire))
			_, n, _, err := c.Decode(wire[:end])
			if err != nil {
				b.Fatal(err)
			}
			if n > 0 {
				break
			}
		}
	}
}

// BenchmarkEncode encodes one 64-byte message.
func BenchmarkEncode(b *testing.B) {
	msg := string(bytes.Repeat([]byte("x"), 64))
	c := newCodec(0)
	dst := make([]byte, 0, 128)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg) + 1))
	for b.Loop() {
		var err error
		if dst, err = c.Encode(dst[:0], msg); err != nil {
			b.Fatal(err)
		}
	}
}
