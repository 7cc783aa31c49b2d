package h2frame_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/workerman-go/workerman/protocols/http/internal/h2frame"
)

// raw builds a frame byte by byte from the layout of RFC 9113 section 4.1,
// without the package's appenders: a 24-bit length (the payload's), the
// type, the flags, and a 32-bit word holding the stream identifier (which
// may include the reserved bit).
func raw(typ h2frame.Type, flags h2frame.Flags, stream uint32, payload ...[]byte) []byte {
	p := bytes.Join(payload, nil)
	n := len(p)
	b := []byte{byte(n >> 16), byte(n >> 8), byte(n), byte(typ), byte(flags),
		byte(stream >> 24), byte(stream >> 16), byte(stream >> 8), byte(stream)}
	return append(b, p...)
}

// rawLen is raw with a length field that need not match the payload.
func rawLen(length uint32, typ h2frame.Type, flags h2frame.Flags, stream uint32, payload ...[]byte) []byte {
	b := raw(typ, flags, stream, payload...)
	b[0], b[1], b[2] = byte(length>>16), byte(length>>8), byte(length)
	return b
}

func u32(v uint32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }

func setting(id h2frame.SettingID, v uint32) []byte {
	return append([]byte{byte(id >> 8), byte(id)}, u32(v)...)
}

func pad(n int) []byte { return make([]byte, n) }

// mustParse parses one frame that must be valid and fill b exactly.
func mustParse(t *testing.T, b []byte) h2frame.Frame {
	t.Helper()
	f, n, err := h2frame.Parse(b, h2frame.DefaultMaxFrameSize)
	if err != nil {
		t.Fatalf("Parse(% x): %v", b, err)
	}
	if n != len(b) {
		t.Fatalf("Parse(% x): n = %d, want %d", b, n, len(b))
	}
	return f
}

// parseAll parses every frame of b, which must be valid and complete.
func parseAll(t *testing.T, b []byte) []h2frame.Frame {
	t.Helper()
	var frames []h2frame.Frame
	for len(b) > 0 {
		f, n, err := h2frame.Parse(b, h2frame.MaxFrameSizeLimit)
		if err != nil || n == 0 {
			t.Fatalf("Parse: n = %d, err = %v with %d bytes left", n, err, len(b))
		}
		frames = append(frames, f)
		b = b[n:]
	}
	return frames
}

func asConn(err error) *h2frame.ConnError {
	var ce *h2frame.ConnError
	if errors.As(err, &ce) {
		return ce
	}
	return nil
}

func asStream(err error) *h2frame.StreamError {
	var se *h2frame.StreamError
	if errors.As(err, &se) {
		return se
	}
	return nil
}
