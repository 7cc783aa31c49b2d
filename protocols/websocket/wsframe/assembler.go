package wsframe

import (
	"fmt"
	"math"
	"sync"
	"unicode/utf8"

	"github.com/workerman-go/workerman/protocols"
)

// DefaultMaxMessageSize is the message size limit when none is configured:
// 10 MiB, the framework's default MaxPackageSize.
const DefaultMaxMessageSize = 10 << 20

// retainedBuffer is the largest message buffer that goes back to the pool
// after use; a larger one, grown for a big message, is dropped.
const retainedBuffer = 32 << 10

// Role is the side of the connection an endpoint plays: it decides which
// frames must be masked.
type Role uint8

const (
	// RoleServer receives masked frames and sends unmasked ones.
	RoleServer Role = iota
	// RoleClient receives unmasked frames and sends masked ones.
	RoleClient
)

// String returns "server" or "client".
func (r Role) String() string {
	if r == RoleClient {
		return "client"
	}
	return "server"
}

// Config configures an Assembler.
type Config struct {
	// Role is the side this endpoint plays. The zero value is RoleServer.
	Role Role
	// MaxMessageSize is the largest message accepted, in bytes, after
	// decompression; 0 or less means DefaultMaxMessageSize. A compressed
	// message may take a little more on the wire (incompressible data
	// grows by up to 1/4096 plus 64 bytes), and is refused from its
	// announced frame lengths beyond that.
	MaxMessageSize int
	// Decompressor, when not nil, means permessage-deflate was negotiated:
	// RSV1 on the first frame of a message marks it compressed, and the
	// Assembler inflates it. When nil, RSV1 is a protocol error.
	Decompressor *Decompressor
}

// Message is what an Assembler delivers: a whole data message (OpText or
// OpBinary), unmasked, reassembled from its fragments and inflated, or a
// control frame (OpClose, OpPing, OpPong), which may arrive between the
// fragments of a data message.
//
// Payload is valid until the next call to Next or Reset. It may alias the
// input given to Next (a single-frame message that arrived whole is unmasked
// in place and not copied), so it is also only valid as long as those bytes
// are: copy it to keep it.
type Message struct {
	Opcode  Opcode
	Payload []byte
}

// Assembler is the receiving half of a WebSocket connection as a state
// machine, for an event-loop codec: it turns bytes into messages, enforces
// RFC 6455 (and RFC 7692 when a Decompressor is configured) on every frame,
// and never blocks. It consumes bytes as they arrive, including partial
// payloads, so a large message does not pile up in the connection's input
// buffer, and nothing is allocated in the steady state for messages that
// arrive whole or fit the retained buffer (32 KiB).
//
// What it checks, and the close code of each violation:
//   - a server requires masked frames, a client unmasked ones (1002);
//   - RSV2, RSV3, and RSV1 unless permessage-deflate is negotiated, where it
//     may only be set on the first frame of a data message (1002);
//   - reserved opcodes (1002);
//   - control frames fragmented or with more than 125 bytes (1002);
//   - a continuation without a message to continue, or a new data message
//     while a fragmented one is open (1002);
//   - text that is not UTF-8, as soon as the bytes received cannot begin
//     valid UTF-8, including characters split between frames (1007); a
//     compressed text is checked while it is inflated, once all of it has
//     arrived;
//   - messages over MaxMessageSize, from the frame lengths announced, before
//     any payload is buffered, and while inflating (1009);
//   - close payloads: 1 byte or an invalid code (1002), a reason that is not
//     UTF-8 (1007);
//   - corrupt compressed data (1007).
//
// A codec's Decode maps onto Next directly: bytes consumed without a
// message are a skip, and n == 0 without a message means "need more".
//
//	func (c *codec) Decode(in []byte) (wsframe.Message, int, bool, error) {
//		m, n, ok, err := c.asm.Next(in)
//		return m, n, !ok, err
//	}
//
// An Assembler is not safe for concurrent use. The zero value is a server
// with DefaultMaxMessageSize and no extensions.
type Assembler struct {
	client        bool
	max           int64 // MaxMessageSize
	maxCompressed int64 // the wire limit of a compressed message
	dec           *Decompressor

	// The frame being read (inFrame): its header was consumed, and
	// remaining bytes of its payload are still to come.
	inFrame   bool
	op        Opcode
	fin       bool
	masked    bool
	key       [4]byte
	maskPos   int
	remaining int64

	// The data message being read: msgOp is OpText or OpBinary from its
	// first frame to its last, 0 otherwise.
	msgOp      Opcode
	compressed bool
	size       int64     // payload bytes announced by its frames so far
	bufs       *buffers  // its payload so far, and an inflated one; pooled, nil while none
	text       utf8State // the UTF-8 state of an uncompressed text message

	ctrl    *[MaxControlPayload]byte // a control payload that arrives in pieces (made when one does)
	ctrlLen int

	handedOut bool  // buf or out is the Payload of the last Message
	closed    bool  // a close frame was delivered
	err       error // the error that stopped the Assembler
}

// NewAssembler returns an Assembler configured by cfg.
func NewAssembler(cfg Config) *Assembler {
	a := new(Assembler)
	a.Reset(cfg)
	return a
}

// Reset prepares a for a new connection configured by cfg, keeping its
// buffers.
func (a *Assembler) Reset(cfg Config) {
	limit := cfg.MaxMessageSize
	if limit <= 0 {
		limit = DefaultMaxMessageSize
	}
	max := min(int64(limit), math.MaxInt64-1)
	maxCompressed := int64(math.MaxInt64 - 1)
	if slack := max>>12 + 64; max < maxCompressed-slack {
		maxCompressed = max + slack
	}
	old := a.bufs
	*a = Assembler{
		client:        cfg.Role == RoleClient,
		max:           max,
		maxCompressed: maxCompressed,
		dec:           cfg.Decompressor,
	}
	old.release()
}

// Next consumes bytes from the front of in, which holds everything received
// and not consumed yet, and returns the next message if one is complete.
// It returns as soon as it has a message; otherwise it consumes what it can
// (whole headers, and payload bytes as far as they go) and asks for more.
//
//   - ok: m is a message, and n bytes were consumed;
//   - !ok and n > 0: bytes were consumed (part of a message), no message yet;
//   - !ok and n == 0: need more bytes;
//   - err != nil: the peer broke the protocol; err is a *ProtocolError whose
//     Code and Reply (a close frame) fail the connection. The Assembler is
//     then stopped: Next returns the same error.
//
// Next unmasks payloads in place: it may modify bytes of in that it
// consumes, never others. After it delivers a close frame, Next consumes and
// discards everything, since nothing may follow a close frame; the caller
// should answer it and close.
func (a *Assembler) Next(in []byte) (m Message, n int, ok bool, err error) {
	if a.err != nil {
		return Message{}, 0, false, a.err
	}
	if a.max == 0 {
		a.Reset(Config{}) // the zero value
	}
	if a.closed {
		return Message{}, len(in), false, nil
	}
	if a.handedOut {
		a.handedOut = false
		a.bufs.release()
		a.bufs = nil
	}
	for {
		if !a.inFrame {
			h, hn, err := ParseFrameHeader(in[n:])
			if err != nil {
				return Message{}, 0, false, a.fail(err)
			}
			if hn == 0 {
				return Message{}, n, false, nil
			}
			if err := a.begin(&h); err != nil {
				return Message{}, 0, false, a.fail(err)
			}
			n += hn
		}
		p := in[n:]
		var k int
		if a.op.IsControl() {
			m, k, ok, err = a.control(p)
		} else {
			m, k, ok, err = a.data(p)
		}
		n += k
		if err != nil {
			return Message{}, 0, false, a.fail(err)
		}
		if ok || a.inFrame {
			return m, n, ok, nil
		}
	}
}

// buffers hold a message that arrives in pieces, and the inflated form of
// a compressed one. They come from a pool and go back once the message is
// handed out, so an idle connection holds none.
type buffers struct{ buf, out []byte }

var bufferPool = sync.Pool{New: func() any { return new(buffers) }}

// buffers returns the Assembler's buffers, taking them from the pool.
func (a *Assembler) buffers() *buffers {
	if a.bufs == nil {
		a.bufs = bufferPool.Get().(*buffers)
	}
	return a.bufs
}

// release empties b and returns it to the pool (dropping a buffer that grew
// beyond retainedBuffer).
func (b *buffers) release() {
	if b == nil {
		return
	}
	b.buf, b.out = recycle(b.buf), recycle(b.out)
	bufferPool.Put(b)
}

// recycle empties a message buffer for reuse, or drops it if it grew large.
func recycle(b []byte) []byte {
	if cap(b) > retainedBuffer {
		return nil
	}
	return b[:0]
}

// fail stops the Assembler with err, set to mask its Reply if this is a
// client.
func (a *Assembler) fail(err error) error {
	if pe, ok := err.(*ProtocolError); ok {
		pe.masked = a.client
	}
	a.err = err
	a.inFrame = false
	return err
}

// begin checks a frame header against the connection's state and starts the
// frame.
func (a *Assembler) begin(h *FrameHeader) error {
	if h.Masked == a.client {
		if a.client {
			return protocolErr(CloseProtocolError, "masked frame from the server")
		}
		return protocolErr(CloseProtocolError, "unmasked frame from the client")
	}
	if h.Rsv2 || h.Rsv3 {
		return protocolErr(CloseProtocolError, "reserved bit %s set without a negotiated extension", rsvName(h))
	}
	if h.Rsv1 && a.dec == nil {
		return protocolErr(CloseProtocolError, "reserved bit RSV1 set without a negotiated extension")
	}
	switch h.Opcode {
	case OpClose, OpPing, OpPong:
		if !h.Fin {
			return protocolErr(CloseProtocolError, "fragmented %s frame", h.Opcode)
		}
		if h.Length > MaxControlPayload {
			return protocolErr(CloseProtocolError, "%s frame with a %d-byte payload (control frames carry at most %d)",
				h.Opcode, h.Length, MaxControlPayload)
		}
		if h.Rsv1 {
			return protocolErr(CloseProtocolError, "RSV1 set on a %s frame", h.Opcode)
		}
		a.ctrlLen = 0
	case OpText, OpBinary:
		if a.msgOp != 0 {
			return protocolErr(CloseProtocolError, "new %s message while a fragmented %s message is open", h.Opcode, a.msgOp)
		}
		a.msgOp = h.Opcode
		a.compressed = h.Rsv1
		a.size = 0
		a.text = utf8State{}
		if err := a.grow(h.Length); err != nil {
			return err
		}
	case OpContinuation:
		if a.msgOp == 0 {
			return protocolErr(CloseProtocolError, "continuation frame without a message to continue")
		}
		if h.Rsv1 {
			return protocolErr(CloseProtocolError, "RSV1 set on a continuation frame")
		}
		if err := a.grow(h.Length); err != nil {
			return err
		}
	default:
		return protocolErr(CloseProtocolError, "reserved %s", h.Opcode)
	}
	a.inFrame = true
	a.op = h.Opcode
	a.fin = h.Fin
	a.masked = h.Masked
	a.key = h.MaskKey
	a.maskPos = 0
	a.remaining = h.Length
	return nil
}

// rsvName names the reserved bits RSV2 and RSV3 set in h.
func rsvName(h *FrameHeader) string {
	switch {
	case h.Rsv2 && h.Rsv3:
		return "RSV2 and RSV3"
	case h.Rsv2:
		return "RSV2"
	}
	return "RSV3"
}

// grow adds a frame's announced length to the message, within the limit.
func (a *Assembler) grow(length int64) error {
	limit, what := a.max, "message"
	if a.compressed {
		limit, what = a.maxCompressed, "compressed message"
	}
	if length > limit-a.size {
		return &ProtocolError{Code: CloseMessageTooBig, err: protocols.ErrPackageTooLarge,
			Reason: fmt.Sprintf("%s of at least %d bytes exceeds the %d-byte limit", what, a.size+length, limit)}
	}
	a.size += length
	return nil
}

// unmask unmasks the next bytes of the frame's payload in place.
func (a *Assembler) unmask(b []byte) {
	if a.masked {
		a.maskPos = Mask(a.key, a.maskPos, b)
	}
}

// control reads the payload of a control frame from p.
func (a *Assembler) control(p []byte) (m Message, n int, ok bool, err error) {
	var payload []byte
	if a.ctrlLen == 0 && int64(len(p)) >= a.remaining {
		// The whole payload is here: unmask it where it is.
		n = int(a.remaining)
		payload = p[:n]
		a.unmask(payload)
	} else {
		n = int(min(int64(len(p)), a.remaining))
		if a.ctrl == nil {
			a.ctrl = new([MaxControlPayload]byte)
		}
		chunk := a.ctrl[a.ctrlLen : a.ctrlLen+n]
		copy(chunk, p)
		a.unmask(chunk)
		a.ctrlLen += n
		if int64(n) < a.remaining {
			a.remaining -= int64(n)
			return Message{}, n, false, nil
		}
		payload = a.ctrl[:a.ctrlLen]
	}
	a.inFrame = false
	a.remaining = 0
	if a.op == OpClose {
		if _, _, err := ParseClosePayload(payload); err != nil {
			return Message{}, n, false, err
		}
		a.closed = true
	}
	return Message{Opcode: a.op, Payload: payload}, n, true, nil
}

// data reads payload of a data frame from p, and finishes the message after
// its last frame.
func (a *Assembler) data(p []byte) (m Message, n int, ok bool, err error) {
	if a.fin && (a.bufs == nil || len(a.bufs.buf) == 0) && int64(len(p)) >= a.remaining {
		// The last frame, all here, and nothing buffered before it (a
		// single-frame message, or one whose earlier fragments were
		// empty): no copy.
		n = int(a.remaining)
		payload := p[:n]
		a.unmask(payload)
		a.inFrame = false
		a.remaining = 0
		return a.finish(payload, false, n)
	}
	n = int(min(int64(len(p)), a.remaining))
	b := a.buffers()
	start := len(b.buf)
	b.buf = append(b.buf, p[:n]...)
	chunk := b.buf[start:]
	a.unmask(chunk)
	a.remaining -= int64(n)
	if a.msgOp == OpText && !a.compressed && !a.text.write(chunk) {
		return Message{}, n, false, protocolErr(CloseInvalidPayload, "invalid UTF-8 in text message")
	}
	if a.remaining > 0 {
		return Message{}, n, false, nil
	}
	a.inFrame = false
	if !a.fin {
		return Message{}, n, false, nil
	}
	a.handedOut = true
	return a.finish(b.buf, true, n)
}

// finish delivers the data message whose whole payload (as received) is p:
// a.buf when buffered, otherwise the input. n is the number of bytes the
// calling data consumed.
func (a *Assembler) finish(p []byte, buffered bool, n int) (m Message, _ int, ok bool, err error) {
	op := a.msgOp
	a.msgOp = 0
	if a.compressed {
		var text *utf8State
		if op == OpText {
			a.text = utf8State{}
			text = &a.text
		}
		b := a.buffers()
		b.out, err = a.dec.inflate(b.out[:0], p, a.max, text)
		if err != nil {
			return Message{}, n, false, err
		}
		if text != nil && !text.complete() {
			return Message{}, n, false, protocolErr(CloseInvalidPayload, "text message ends inside a UTF-8 sequence")
		}
		a.handedOut = true
		return Message{Opcode: op, Payload: b.out}, n, true, nil
	}
	if op == OpText {
		if buffered {
			// Validated piece by piece as it arrived.
			if !a.text.complete() {
				return Message{}, n, false, protocolErr(CloseInvalidPayload, "text message ends inside a UTF-8 sequence")
			}
		} else if !utf8.Valid(p) {
			return Message{}, n, false, protocolErr(CloseInvalidPayload, "invalid UTF-8 in text message")
		}
	}
	return Message{Opcode: op, Payload: p}, n, true, nil
}
