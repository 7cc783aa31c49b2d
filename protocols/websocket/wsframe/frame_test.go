package wsframe_test

import (
	"bytes"
	"errors"
	"math"
	"testing"

	ws "github.com/workerman-go/workerman/protocols/websocket/wsframe"
)

func TestParseFrameHeader(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	tests := []struct {
		name string
		in   string
		want ws.FrameHeader
		n    int
	}{
		{"empty text", "\x81\x00", ws.FrameHeader{Fin: true, Opcode: ws.OpText}, 2},
		{"all flags", "\xfa\x05", ws.FrameHeader{Fin: true, Rsv1: true, Rsv2: true, Rsv3: true, Opcode: ws.OpPong, Length: 5}, 2},
		{"reserved opcode", "\x0f\x00", ws.FrameHeader{Opcode: 0xf}, 2},
		{"7-bit max", "\x82\x7d", ws.FrameHeader{Fin: true, Opcode: ws.OpBinary, Length: 125}, 2},
		{"16-bit min", "\x02\x7e\x00\x7e", ws.FrameHeader{Opcode: ws.OpBinary, Length: 126}, 4},
		{"16-bit max", "\x02\x7e\xff\xff", ws.FrameHeader{Opcode: ws.OpBinary, Length: 65535}, 4},
		{"64-bit min", "\x02\x7f\x00\x00\x00\x00\x00\x01\x00\x00", ws.FrameHeader{Opcode: ws.OpBinary, Length: 65536}, 10},
		{"64-bit max", "\x02\x7f\x7f\xff\xff\xff\xff\xff\xff\xff", ws.FrameHeader{Opcode: ws.OpBinary, Length: math.MaxInt64}, 10},
		{"masked", "\x89\x83\x01\x02\x03\x04", ws.FrameHeader{Fin: true, Opcode: ws.OpPing, Masked: true, MaskKey: key, Length: 3}, 6},
		{"masked 16-bit", "\x81\xfe\x01\x00\x01\x02\x03\x04", ws.FrameHeader{Fin: true, Opcode: ws.OpText, Masked: true, MaskKey: key, Length: 256}, 8},
		{"masked 64-bit", "\x81\xff\x00\x00\x00\x00\x00\x01\x00\x00\x01\x02\x03\x04", ws.FrameHeader{Fin: true, Opcode: ws.OpText, Masked: true, MaskKey: key, Length: 65536}, 14},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in + "payload")
			h, n, err := ws.ParseFrameHeader(in)
			if err != nil || n != tc.n || h != tc.want {
				t.Fatalf("ParseFrameHeader = %+v, %d, %v; want %+v, %d", h, n, err, tc.want, tc.n)
			}
			// Every shorter prefix needs more bytes.
			for i := range tc.n {
				if h, n, err := ws.ParseFrameHeader(in[:i]); n != 0 || err != nil || h != (ws.FrameHeader{}) {
					t.Fatalf("prefix of %d bytes: %+v, %d, %v; want need more", i, h, n, err)
				}
			}
			// The header encodes back to the same bytes: lengths are minimal.
			if got := ws.AppendFrameHeader(nil, h); string(got) != tc.in {
				t.Fatalf("AppendFrameHeader = %q, want %q", got, tc.in)
			}
			if ws.HeaderSize(h) != tc.n {
				t.Fatalf("HeaderSize = %d, want %d", ws.HeaderSize(h), tc.n)
			}
		})
	}
}

func TestParseFrameHeaderErrors(t *testing.T) {
	tests := []struct {
		name, in, reason string
	}{
		{"16-bit zero", "\x82\x7e\x00\x00", "payload length 0 encoded in 16 bits (lengths below 126 take 7)"},
		{"16-bit 125", "\x82\x7e\x00\x7d", "payload length 125 encoded in 16 bits (lengths below 126 take 7)"},
		{"64-bit 125", "\x82\x7f\x00\x00\x00\x00\x00\x00\x00\x7d", "payload length 125 encoded in 64 bits (lengths below 65536 take 7 or 16)"},
		{"64-bit 65535", "\x82\x7f\x00\x00\x00\x00\x00\x00\xff\xff", "payload length 65535 encoded in 64 bits (lengths below 65536 take 7 or 16)"},
		{"64-bit MSB", "\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", "64-bit payload length with the most significant bit set"},
		{"64-bit all ones", "\x82\xff\xff\xff\xff\xff\xff\xff\xff\xff", "64-bit payload length with the most significant bit set"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, n, err := ws.ParseFrameHeader([]byte(tc.in))
			var pe *ws.ProtocolError
			if n != 0 || !errors.As(err, &pe) || pe.Code != ws.CloseProtocolError || pe.Reason != tc.reason {
				t.Fatalf("ParseFrameHeader = %d, %v; want a 1002 error %q", n, err, tc.reason)
			}
		})
	}
}

func TestAppendFrameHeaderLengths(t *testing.T) {
	for _, l := range []int64{0, 1, 125, 126, 127, 65535, 65536, 1 << 32, math.MaxInt64} {
		for _, masked := range []bool{false, true} {
			h := ws.FrameHeader{Fin: true, Opcode: ws.OpBinary, Length: l, Masked: masked}
			if masked {
				h.MaskKey = testKey
			}
			b := ws.AppendFrameHeader([]byte("x"), h)
			if b[0] != 'x' || len(b)-1 != ws.HeaderSize(h) {
				t.Fatalf("length %d: header %q, HeaderSize %d", l, b, ws.HeaderSize(h))
			}
			got, n, err := ws.ParseFrameHeader(b[1:])
			if err != nil || n != len(b)-1 || got != h {
				t.Fatalf("length %d: parsed %+v, %d, %v", l, got, n, err)
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("negative length did not panic")
		}
	}()
	ws.AppendFrameHeader(nil, ws.FrameHeader{Length: -1})
}

func TestAppendFrame(t *testing.T) {
	// RFC 6455 section 5.7: a single-frame unmasked text message, and the
	// same masked with key 37 fa 21 3d.
	if got := sf(ws.OpText, true, "Hello"); got != "\x81\x05\x48\x65\x6c\x6c\x6f" {
		t.Fatalf("unmasked = % x", got)
	}
	if got := cf(ws.OpText, true, "Hello"); got != "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58" {
		t.Fatalf("masked = % x", got)
	}
	// A string and a []byte give the same frame, and the payload is left
	// alone.
	payload := []byte("Hello")
	h := ws.FrameHeader{Fin: true, Opcode: ws.OpText, Masked: true, MaskKey: testKey, Length: 99}
	if got := ws.AppendFrame([]byte("pre"), h, payload); string(got) != "pre"+cf(ws.OpText, true, "Hello") {
		t.Fatalf("[]byte frame = % x", got)
	}
	if string(payload) != "Hello" {
		t.Fatalf("payload modified: %q", payload)
	}
	// Unfragmented 256-byte and 64 KiB binary messages (RFC 6455 section 5.7).
	big := bytes.Repeat([]byte{0xab}, 256)
	if got := ws.AppendFrame(nil, ws.FrameHeader{Fin: true, Opcode: ws.OpBinary}, big); string(got[:4]) != "\x82\x7e\x01\x00" || len(got) != 260 {
		t.Fatalf("256 bytes: header % x, length %d", got[:4], len(got))
	}
	big = bytes.Repeat([]byte{0xab}, 65536)
	if got := ws.AppendFrame(nil, ws.FrameHeader{Fin: true, Opcode: ws.OpBinary}, big); string(got[:10]) != "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00" {
		t.Fatalf("64 KiB: header % x", got[:10])
	}
	allocs := testing.AllocsPerRun(100, func() {
		dst := make([]byte, 0, 64)
		ws.AppendFrame(dst, h, "Hello")
	})
	if allocs != 0 {
		t.Fatalf("AppendFrame allocates %v times", allocs)
	}
}

func TestOpcodeString(t *testing.T) {
	want := map[ws.Opcode]string{0: "continuation", 1: "text", 2: "binary", 3: "opcode 0x3", 8: "close", 9: "ping", 10: "pong", 15: "opcode 0xf"}
	for op, s := range want {
		if op.String() != s {
			t.Errorf("Opcode(%d).String() = %q, want %q", op, op.String(), s)
		}
		if op.IsControl() != (op >= 8) {
			t.Errorf("Opcode(%d).IsControl() = %v", op, op.IsControl())
		}
	}
}

// naiveMask is RFC 6455 section 5.3, byte by byte.
func naiveMask(key [4]byte, pos int, b []byte) {
	for i := range b {
		b[i] ^= key[(pos+i)%4]
	}
}

func TestMask(t *testing.T) {
	data := make([]byte, 300)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for size := range 100 {
		for pos := range 8 {
			for _, off := range []int{0, 1, 3} { // unaligned starts
				got := bytes.Clone(data[off : off+size])
				want := bytes.Clone(got)
				next := ws.Mask(testKey, pos, got)
				naiveMask(testKey, pos, want)
				if !bytes.Equal(got, want) {
					t.Fatalf("size %d pos %d off %d: % x, want % x", size, pos, off, got, want)
				}
				if next != (pos+size)%4 {
					t.Fatalf("size %d pos %d: next %d, want %d", size, pos, next, (pos+size)%4)
				}
			}
		}
	}
	// Unmasking in pieces equals unmasking at once.
	whole := bytes.Clone(data)
	ws.Mask(testKey, 0, whole)
	pieces := bytes.Clone(data)
	pos := 0
	for i := 0; i < len(pieces); {
		j := min(len(pieces), i+1+i%13)
		pos = ws.Mask(testKey, pos, pieces[i:j])
		i = j
	}
	if !bytes.Equal(whole, pieces) {
		t.Fatal("masking in pieces differs from masking at once")
	}
}

func TestNewMaskKey(t *testing.T) {
	seen := make(map[[4]byte]int)
	for range 1000 {
		seen[ws.NewMaskKey()]++
	}
	// 1000 random 32-bit keys collide with probability about 1e-4.
	if len(seen) < 998 {
		t.Fatalf("1000 keys, only %d distinct", len(seen))
	}
	if allocs := testing.AllocsPerRun(1000, func() { ws.NewMaskKey() }); allocs != 0 {
		t.Fatalf("NewMaskKey allocates %v times", allocs)
	}
}
