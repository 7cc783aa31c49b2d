package wsframe_test

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"unicode/utf8"

	ws "github.com/workerman-go/workerman/protocols/websocket/wsframe"
)

// fuzzConfig returns the Assembler configuration a fuzz mode selects: bit 0
// a client, bit 1 permessage-deflate, bit 2 with context takeover, bit 3 a
// 64-byte limit (otherwise 64 KiB).
func fuzzConfig(mode uint8) func() ws.Config {
	return func() ws.Config {
		cfg := ws.Config{MaxMessageSize: 64 << 10}
		if mode&1 != 0 {
			cfg.Role = ws.RoleClient
		}
		if mode&2 != 0 {
			cfg.Decompressor = ws.NewDecompressor(mode&4 != 0)
		}
		if mode&8 != 0 {
			cfg.MaxMessageSize = 64
		}
		return cfg
	}
}

// randomChunks splits data into chunks of random sizes drawn from seed.
func randomChunks(data []byte, seed uint64) [][]byte {
	r := rand.New(rand.NewPCG(seed, seed>>32))
	var chunks [][]byte
	for len(data) > 0 {
		n := min(len(data), 1+r.IntN(1<<r.IntN(8)))
		chunks = append(chunks, data[:n])
		data = data[n:]
	}
	return chunks
}

// reencode writes events as the peer would send them: one frame each,
// masked when the receiver is a server, compressed when it negotiated
// permessage-deflate.
func reencode(events []event, mode uint8) []byte {
	var comp *ws.Compressor
	if mode&2 != 0 {
		comp = ws.NewCompressor(flate.BestSpeed, mode&4 != 0)
		defer comp.Release()
	}
	var wire []byte
	for _, e := range events {
		h := ws.FrameHeader{Fin: true, Opcode: e.Op}
		if mode&1 == 0 {
			h.Masked, h.MaskKey = true, ws.NewMaskKey()
		}
		if comp != nil && !e.Op.IsControl() {
			wire = comp.AppendFrameString(wire, h, e.Payload)
		} else {
			wire = ws.AppendFrame(wire, h, e.Payload)
		}
	}
	return wire
}

// FuzzFrames feeds arbitrary bytes to an Assembler at once, split at random
// points and (when short) one byte at a time, and expects the same outcome
// each time. It checks what is delivered (text is UTF-8, sizes within the
// limits), that the messages read back the same once encoded again, and that
// frame headers parse and encode to each other.
func FuzzFrames(f *testing.F) {
	for _, cases := range [][]assembleCase{assembleCases, deflateCases} {
		for i, tc := range cases {
			var mode uint8
			if tc.cfg != nil {
				cfg := tc.cfg()
				if cfg.Role == ws.RoleClient {
					mode |= 1
				}
				if cfg.Decompressor != nil {
					mode |= 2 | 4
				}
			}
			f.Add([]byte(tc.in), uint64(i), mode)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, mode uint8) {
		cfg := fuzzConfig(mode)
		want := assemble(t, cfg, bytes.Clone(data))
		if got := assemble(t, cfg, randomChunks(bytes.Clone(data), seed)...); !got.equal(want) {
			t.Fatalf("random chunks: %v\nat once: %v", got, want)
		}
		if len(data) <= 256 {
			var bytewise [][]byte
			for i := range data {
				bytewise = append(bytewise, []byte{data[i]})
			}
			if got := assemble(t, cfg, bytewise...); !got.equal(want) {
				t.Fatalf("byte by byte: %v\nat once: %v", got, want)
			}
		}

		limit := cfg().MaxMessageSize
		for _, e := range want.events {
			switch {
			case e.Op == ws.OpText && !utf8.ValidString(e.Payload):
				t.Fatalf("invalid UTF-8 delivered: %v", e)
			case e.Op.IsControl() && len(e.Payload) > ws.MaxControlPayload:
				t.Fatalf("control payload over 125 bytes: %v", e)
			case len(e.Payload) > limit:
				t.Fatalf("message over the %d-byte limit: %v", limit, e)
			case e.Op == ws.OpClose:
				if _, _, err := ws.ParseClosePayload([]byte(e.Payload)); err != nil {
					t.Fatalf("invalid close delivered: %v: %v", e, err)
				}
			}
		}
		again := assemble(t, cfg, reencode(want.events, mode))
		if !again.equal(outcome{events: want.events}) {
			t.Fatalf("encoded again: %v\nfirst: %v", again, want)
		}

		// Headers in data encode back to their bytes: lengths are minimal.
		for rest := data; ; {
			h, n, err := ws.ParseFrameHeader(rest)
			if err != nil || n == 0 {
				break
			}
			if enc := ws.AppendFrameHeader(nil, h); !bytes.Equal(enc, rest[:n]) || ws.HeaderSize(h) != n {
				t.Fatalf("header % x parses to %+v, which encodes to % x", rest[:n], h, enc)
			}
			rest = rest[n+int(min(h.Length, int64(len(rest)-n))):]
		}
		// Any header encodes and parses back.
		h := ws.FrameHeader{
			Fin: seed&1 != 0, Rsv1: seed&2 != 0, Rsv2: seed&4 != 0, Rsv3: seed&8 != 0,
			Opcode: ws.Opcode(seed >> 4 & 0xf), Masked: mode&16 != 0,
			Length: int64(seed>>8) >> (seed & 63),
		}
		if h.Masked {
			h.MaskKey = [4]byte{byte(seed >> 8), byte(seed >> 16), mode, byte(seed >> 24)}
		}
		enc := ws.AppendFrameHeader(nil, h)
		if got, n, err := ws.ParseFrameHeader(enc); err != nil || n != len(enc) || got != h || n != ws.HeaderSize(h) {
			t.Fatalf("%+v encodes to % x, which parses to %+v, %d, %v", h, enc, got, n, err)
		}
	})
}

// referenceInflate inflates a permessage-deflate payload the plain way,
// reading at most limit+1 bytes.
func referenceInflate(p []byte, limit int) ([]byte, error) {
	r := flate.NewReader(io.MultiReader(bytes.NewReader(p), bytes.NewReader([]byte{0, 0, 0xff, 0xff})))
	return io.ReadAll(io.LimitReader(r, int64(limit)+1))
}

// FuzzInflate decompresses arbitrary bytes: no panic, the limit holds, and a
// successful result is what compress/flate reads from the same bytes. The
// bytes also go through Compress and back, with and without context
// takeover.
func FuzzInflate(f *testing.F) {
	hello := []byte("\xf2\x48\xcd\xc9\xc9\x07\x00")
	seeds := [][]byte{
		nil, {0x00}, hello,
		[]byte("\xf3\x48\xcd\xc9\xc9\x07\x00\x00"),
		[]byte("\x00\x05\x00\xfa\xff\x48\x65\x6c\x6c\x6f\x00"),
		[]byte("\xf2\x48\x05\x00\x00\x00\xff\xff\xca\xc9\xc9\x07\x00"),
		[]byte("\xf2\x00\x11\x00\x00"),
		{0xff, 0xff, 0xff},
		ws.NewCompressor(flate.BestCompression, false).Compress(nil, make([]byte, 10000)),
		ws.NewCompressor(flate.BestSpeed, false).Compress(nil, []byte("hello hello hello hello hello hello hello")),
	}
	for i, s := range seeds {
		f.Add(s, uint16(100*i), uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, limit uint16, mode uint8) {
		lim := int(limit) + 1
		takeover := mode&1 != 0
		d := ws.NewDecompressor(takeover)
		out, err := d.Decompress([]byte("x"), data, lim)
		ref, refErr := referenceInflate(data, lim)
		if err != nil {
			var pe *ws.ProtocolError
			if !errors.As(err, &pe) || string(out) != "x" {
				t.Fatalf("err %v with output %q", err, out)
			}
			switch pe.Code {
			case ws.CloseMessageTooBig:
				if len(ref) <= lim {
					t.Fatalf("1009, but compress/flate reads %d bytes (limit %d)", len(ref), lim)
				}
			case ws.CloseInvalidPayload:
			default:
				t.Fatalf("unexpected close code in %v", err)
			}
		} else {
			out = out[1:]
			if len(out) > lim {
				t.Fatalf("%d bytes out, limit %d", len(out), lim)
			}
			if len(data) > 0 && !bytes.Equal(out, ref) {
				t.Fatalf("Decompress = %q, compress/flate reads %q (%v)", out, ref, refErr)
			}
		}

		// Round trip: data as a message, twice in a row.
		level := int(mode>>1)%12 - 2
		c := ws.NewCompressor(level, takeover)
		defer c.Release()
		d = ws.NewDecompressor(takeover)
		for range 2 {
			z := c.Compress(nil, data)
			out, err := d.Decompress(nil, z, max(len(data), 1))
			if err != nil || !bytes.Equal(out, data) {
				t.Fatalf("level %d: round trip = %q, %v", level, out, err)
			}
		}
	})
}
