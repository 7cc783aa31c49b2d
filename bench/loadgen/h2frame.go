package loadgen

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The HTTP/2 frame layer (RFC 9113 §4 and §6) that the client of RunH2
// needs: reading any frame, unpadding DATA and HEADERS, and writing the
// few frames a client of event streams sends. (golang.org/x/net/http2's
// Framer would do, but its package needs golang.org/x/text, which the
// bench module does not list; hpack needs nothing.)

// Frame types.
const (
	h2Data         = 0x0
	h2Headers      = 0x1
	h2RSTStream    = 0x3
	h2Settings     = 0x4
	h2PushPromise  = 0x5
	h2Ping         = 0x6
	h2GoAway       = 0x7
	h2WindowUpdate = 0x8
	h2Continuation = 0x9
)

// Frame flags.
const (
	h2FlagEndStream  = 0x1 // DATA, HEADERS
	h2FlagAck        = 0x1 // SETTINGS, PING
	h2FlagEndHeaders = 0x4 // HEADERS, CONTINUATION
	h2FlagPadded     = 0x8 // DATA, HEADERS
	h2FlagPriority   = 0x20
)

// Settings and error codes the client uses.
const (
	h2SettingEnablePush = 0x2
	h2ErrCancel         = 0x8
)

// h2ClientPreface starts every client connection (RFC 9113 §3.4).
const h2ClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// h2MaxFrame is the largest frame payload the client accepts: the
// protocol's default SETTINGS_MAX_FRAME_SIZE, which the client keeps.
const h2MaxFrame = 16384

// errH2Protocol marks a connection error: the peer broke the protocol.
var errH2Protocol = errors.New("HTTP/2 protocol error")

// h2Frame is one frame; payload is valid until the next read.
type h2Frame struct {
	typ, flags uint8
	stream     uint32
	payload    []byte
}

func (f *h2Frame) has(flag uint8) bool { return f.flags&flag != 0 }

// h2FrameReader reads frames from r.
type h2FrameReader struct {
	r   *bufio.Reader
	hdr [9]byte
	buf []byte
}

// next reads the next frame. An error wrapping errH2Protocol is a frame
// the protocol forbids (too long); any other error is the reader's.
func (fr *h2FrameReader) next() (h2Frame, error) {
	if _, err := io.ReadFull(fr.r, fr.hdr[:]); err != nil {
		return h2Frame{}, err
	}
	n := uint32(fr.hdr[0])<<16 | uint32(fr.hdr[1])<<8 | uint32(fr.hdr[2])
	f := h2Frame{typ: fr.hdr[3], flags: fr.hdr[4], stream: binary.BigEndian.Uint32(fr.hdr[5:]) & (1<<31 - 1)}
	if n > h2MaxFrame {
		return f, fmt.Errorf("%w: a frame of %d bytes (type %d), more than %d", errH2Protocol, n, f.typ, h2MaxFrame)
	}
	if cap(fr.buf) < int(n) {
		fr.buf = make([]byte, h2MaxFrame)
	}
	f.payload = fr.buf[:n]
	if _, err := io.ReadFull(fr.r, f.payload); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return f, err
	}
	return f, nil
}

// h2Unpad returns the content of a DATA or HEADERS frame: without its
// padding, and for HEADERS without its priority fields.
func h2Unpad(f *h2Frame) ([]byte, error) {
	p := f.payload
	pad := 0
	if f.has(h2FlagPadded) {
		if len(p) < 1 {
			return nil, fmt.Errorf("%w: padded frame (type %d) without its pad length", errH2Protocol, f.typ)
		}
		pad, p = int(p[0]), p[1:]
	}
	if f.typ == h2Headers && f.has(h2FlagPriority) {
		if len(p) < 5 {
			return nil, fmt.Errorf("%w: HEADERS too short for its priority fields", errH2Protocol)
		}
		p = p[5:]
	}
	if pad > len(p) {
		return nil, fmt.Errorf("%w: padding (%d bytes) longer than the frame's content (%d)", errH2Protocol, pad, len(p))
	}
	return p[:len(p)-pad], nil
}

// h2WriteFrame writes one frame to w.
func h2WriteFrame(w *bufio.Writer, typ, flags uint8, stream uint32, payload []byte) error {
	n := len(payload)
	hdr := [9]byte{byte(n >> 16), byte(n >> 8), byte(n), typ, flags}
	binary.BigEndian.PutUint32(hdr[5:], stream)
	w.Write(hdr[:])
	_, err := w.Write(payload)
	return err
}

// h2WriteUint32 writes a frame whose payload is one 32-bit value
// (WINDOW_UPDATE, RST_STREAM).
func h2WriteUint32(w *bufio.Writer, typ uint8, stream, v uint32) error {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return h2WriteFrame(w, typ, 0, stream, b[:])
}
