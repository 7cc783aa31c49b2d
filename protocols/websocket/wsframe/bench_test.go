package wsframe_test

import (
	"bytes"
	"compress/flate"
	"fmt"
	"strings"
	"testing"

	ws "github.com/workerman-go/workerman/protocols/websocket/wsframe"
)

// kib is a 1 KiB text payload.
var kib = []byte(strings.Repeat(`{"k":"v","n":12345}`, 54)[:1024])

// BenchmarkParseUnmask parses the header of a masked 1 KiB frame and
// unmasks its payload in place.
func BenchmarkParseUnmask(b *testing.B) {
	frame := ws.AppendFrame(nil, ws.FrameHeader{Fin: true, Opcode: ws.OpBinary, Masked: true, MaskKey: testKey}, kib)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		h, n, err := ws.ParseFrameHeader(frame)
		if err != nil || h.Length != 1024 {
			b.Fatal(h, err)
		}
		ws.Mask(h.MaskKey, 0, frame[n:])
	}
}

// BenchmarkAssembler reads a masked 1 KiB message with an Assembler: whole
// (delivered in place), binary and text (UTF-8 checked; the frame is
// restored before each read, since reading unmasks it), and in 4 fragments
// arriving in 64-byte reads (copied and checked piece by piece).
func BenchmarkAssembler(b *testing.B) {
	h := ws.FrameHeader{Fin: true, Opcode: ws.OpBinary, Masked: true, MaskKey: testKey}
	binary := ws.AppendFrame(nil, h, kib)
	h.Opcode = ws.OpText
	text := ws.AppendFrame(nil, h, kib)
	var fragmented []byte
	for i := range 4 {
		h := ws.FrameHeader{Fin: i == 3, Opcode: ws.OpContinuation, Masked: true, MaskKey: testKey}
		if i == 0 {
			h.Opcode = ws.OpText
		}
		fragmented = ws.AppendFrame(fragmented, h, kib[i*256:(i+1)*256])
	}
	b.Run("binary", func(b *testing.B) {
		a := ws.NewAssembler(ws.Config{})
		b.ReportAllocs()
		b.SetBytes(int64(len(binary)))
		for b.Loop() {
			// Unmasking toggles the payload: no need to restore it.
			if m, n, ok, err := a.Next(binary); !ok || n != len(binary) || len(m.Payload) != 1024 {
				b.Fatal(n, ok, err)
			}
		}
	})
	b.Run("text", func(b *testing.B) {
		a := ws.NewAssembler(ws.Config{})
		buf := make([]byte, len(text))
		b.ReportAllocs()
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			copy(buf, text)
			if m, n, ok, err := a.Next(buf); !ok || n != len(buf) || len(m.Payload) != 1024 {
				b.Fatal(n, ok, err)
			}
		}
	})
	b.Run("fragmented", func(b *testing.B) {
		a := ws.NewAssembler(ws.Config{})
		buf := make([]byte, len(fragmented))
		b.ReportAllocs()
		b.SetBytes(int64(len(fragmented)))
		for b.Loop() {
			copy(buf, fragmented)
			got := 0
			for in, end := buf, 64; len(in) > 0; end += 64 {
				chunk := in[:min(end, len(in))]
				m, n, ok, err := a.Next(chunk)
				if err != nil {
					b.Fatal(err)
				}
				if ok {
					got = len(m.Payload)
				}
				if n > 0 {
					in, end = in[n:], 0
				}
			}
			if got != 1024 {
				b.Fatal(got)
			}
		}
	})
}

// BenchmarkMask masks payloads of several sizes in place.
func BenchmarkMask(b *testing.B) {
	for _, size := range []int{16, 125, 1024, 64 << 10} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			p := make([]byte, size)
			b.SetBytes(int64(size))
			for b.Loop() {
				ws.Mask(testKey, 1, p)
			}
		})
	}
}

// BenchmarkAppendFrame writes a 1 KiB frame as a server (unmasked) and as a
// client (masked with a fresh key).
func BenchmarkAppendFrame(b *testing.B) {
	dst := make([]byte, 0, 2048)
	b.Run("server", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(1024)
		for b.Loop() {
			dst = ws.AppendFrame(dst[:0], ws.FrameHeader{Fin: true, Opcode: ws.OpText}, kib)
		}
	})
	b.Run("client", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(1024)
		for b.Loop() {
			dst = ws.AppendFrame(dst[:0], ws.FrameHeader{Fin: true, Opcode: ws.OpText, Masked: true, MaskKey: ws.NewMaskKey()}, kib)
		}
	})
}

func BenchmarkNewMaskKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ws.NewMaskKey()
	}
}

func BenchmarkAcceptKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ws.AcceptKey("dGhlIHNhbXBsZSBub25jZQ==")
	}
}

// BenchmarkDeflate compresses and inflates a 1 KiB JSON message at
// flate.BestSpeed, with and without context takeover.
func BenchmarkDeflate(b *testing.B) {
	for _, takeover := range []bool{false, true} {
		name := fmt.Sprintf("takeover=%v", takeover)
		b.Run("compress/"+name, func(b *testing.B) {
			c := ws.NewCompressor(flate.BestSpeed, takeover)
			defer c.Release()
			dst := make([]byte, 0, 2048)
			b.ReportAllocs()
			b.SetBytes(int64(len(kib)))
			for b.Loop() {
				dst = c.Compress(dst[:0], kib)
			}
		})
		b.Run("decompress/"+name, func(b *testing.B) {
			// A stream of messages, each compressed after the previous.
			c := ws.NewCompressor(flate.BestSpeed, takeover)
			defer c.Release()
			const count = 1000
			zs := make([][]byte, count)
			for i := range zs {
				zs[i] = c.Compress(nil, kib)
			}
			d := ws.NewDecompressor(takeover)
			out := make([]byte, 0, 2048)
			b.ReportAllocs()
			b.SetBytes(int64(len(kib)))
			i := 0
			for b.Loop() {
				if i == count {
					b.StopTimer()
					d = ws.NewDecompressor(takeover)
					i = 0
					b.StartTimer()
				}
				var err error
				if out, err = d.Decompress(out[:0], zs[i], 1<<20); err != nil || !bytes.Equal(out, kib) {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
