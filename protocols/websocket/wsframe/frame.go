package wsframe

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
)

// Opcode is the 4-bit frame type of RFC 6455 section 5.2.
type Opcode uint8

// The opcodes RFC 6455 defines. The others (0x3-0x7 for data, 0xB-0xF for
// control) are reserved, and a frame carrying one fails the connection.
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

// IsControl reports whether op is a control opcode (close, ping, pong or a
// reserved control opcode): its high bit is set.
func (op Opcode) IsControl() bool { return op&0x8 != 0 }

// String returns the RFC name of op ("text", "ping", ...), or "opcode 0x3"
// for a reserved one.
func (op Opcode) String() string {
	switch op {
	case OpContinuation:
		return "continuation"
	case OpText:
		return "text"
	case OpBinary:
		return "binary"
	case OpClose:
		return "close"
	case OpPing:
		return "ping"
	case OpPong:
		return "pong"
	}
	return "opcode 0x" + strconv.FormatUint(uint64(op), 16)
}

const (
	// MaxHeaderSize is the length of the longest frame header: 2 bytes, an
	// 8-byte extended payload length and a 4-byte masking key.
	MaxHeaderSize = 14
	// MaxControlPayload is the largest payload of a control frame.
	MaxControlPayload = 125
)

// FrameHeader is the header of one frame (RFC 6455 section 5.2).
type FrameHeader struct {
	Fin              bool // the final fragment of a message
	Rsv1, Rsv2, Rsv3 bool // reserved for extensions; RSV1 marks a compressed message (RFC 7692)
	Opcode           Opcode
	Masked           bool
	MaskKey          [4]byte // meaningful only when Masked
	Length           int64   // payload length: 0 to 1<<63-1
}

// ParseFrameHeader parses the frame header at the front of in and returns it
// with its length in bytes. n == 0 with a nil error means in holds only part
// of a header: call again when more bytes have arrived.
//
// The only errors are length encodings RFC 6455 forbids, both
// *ProtocolError with CloseProtocolError: a length not written in the fewest
// bytes possible (126 bytes in the 64-bit form, say), and a 64-bit length with
// its most significant bit set. Everything else (reserved bits and opcodes,
// masking, control-frame rules) is the Assembler's business, since it depends
// on the connection's role and extensions.
//
// ParseFrameHeader does not allocate unless it returns an error.
func ParseFrameHeader(in []byte) (h FrameHeader, n int, err error) {
	if len(in) < 2 {
		return FrameHeader{}, 0, nil
	}
	b0, b1 := in[0], in[1]
	h.Fin = b0&0x80 != 0
	h.Rsv1 = b0&0x40 != 0
	h.Rsv2 = b0&0x20 != 0
	h.Rsv3 = b0&0x10 != 0
	h.Opcode = Opcode(b0 & 0x0f)
	h.Masked = b1&0x80 != 0
	n = 2
	switch l := b1 & 0x7f; l {
	case 126:
		if len(in) < 4 {
			return FrameHeader{}, 0, nil
		}
		v := binary.BigEndian.Uint16(in[2:])
		if v < 126 {
			return FrameHeader{}, 0, protocolErr(CloseProtocolError,
				"payload length %d encoded in 16 bits (lengths below 126 take 7)", v)
		}
		h.Length = int64(v)
		n = 4
	case 127:
		if len(in) < 10 {
			return FrameHeader{}, 0, nil
		}
		v := binary.BigEndian.Uint64(in[2:])
		if v > math.MaxInt64 {
			return FrameHeader{}, 0, protocolErr(CloseProtocolError,
				"64-bit payload length with the most significant bit set")
		}
		if v <= math.MaxUint16 {
			return FrameHeader{}, 0, protocolErr(CloseProtocolError,
				"payload length %d encoded in 64 bits (lengths below 65536 take 7 or 16)", v)
		}
		h.Length = int64(v)
		n = 10
	default:
		h.Length = int64(l)
	}
	if h.Masked {
		if len(in) < n+4 {
			return FrameHeader{}, 0, nil
		}
		h.MaskKey = [4]byte(in[n : n+4])
		n += 4
	}
	return h, n, nil
}

// HeaderSize returns the length of the header AppendFrameHeader writes for h.
func HeaderSize(h FrameHeader) int {
	n := 2
	switch {
	case h.Length > math.MaxUint16:
		n += 8
	case h.Length >= 126:
		n += 2
	}
	if h.Masked {
		n += 4
	}
	return n
}

// AppendFrameHeader appends the wire form of h to dst, with the payload
// length in the fewest bytes possible. It panics if h.Length is negative.
func AppendFrameHeader(dst []byte, h FrameHeader) []byte {
	b0 := byte(h.Opcode & 0x0f)
	if h.Fin {
		b0 |= 0x80
	}
	if h.Rsv1 {
		b0 |= 0x40
	}
	if h.Rsv2 {
		b0 |= 0x20
	}
	if h.Rsv3 {
		b0 |= 0x10
	}
	var b1 byte
	if h.Masked {
		b1 = 0x80
	}
	switch l := h.Length; {
	case l < 0:
		panic(fmt.Sprintf("websocket: negative payload length %d", l))
	case l < 126:
		dst = append(dst, b0, b1|byte(l))
	case l <= math.MaxUint16:
		dst = append(dst, b0, b1|126, byte(l>>8), byte(l))
	default:
		dst = append(dst, b0, b1|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(l))
	}
	if h.Masked {
		dst = append(dst, h.MaskKey[:]...)
	}
	return dst
}

// AppendFrame appends a whole frame to dst: the header h, with h.Length set to
// len(payload), then the payload, masked with h.MaskKey when h.Masked (payload
// itself is not modified). Servers send unmasked frames; clients must mask
// every frame with a fresh key from NewMaskKey.
//
// AppendFrame allocates only when dst lacks the room.
func AppendFrame[P string | []byte](dst []byte, h FrameHeader, payload P) []byte {
	h.Length = int64(len(payload))
	dst = AppendFrameHeader(dst, h)
	start := len(dst)
	dst = append(dst, payload...)
	if h.Masked {
		Mask(h.MaskKey, 0, dst[start:])
	}
	return dst
}
