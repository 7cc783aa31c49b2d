// Package tcp is the raw TCP protocol, scheme "tcp", as in Workerman's
// "tcp://0.0.0.0:2000": no framing at all.
//
// Each call to Decode hands over the bytes buffered for the connection as one
// message, at most MaxMessage of them (the rest follows as the next
// message), and Encode writes the bytes it is given unchanged. The protocol
// therefore does not preserve message boundaries: what one peer sends with one
// write may arrive as several messages, and several writes may arrive as one.
// An application that needs boundaries should use a framed protocol such as
// text or frame, or parse the stream itself.
//
// Messages are zero copy: a decoded []byte refers to the connection's input
// buffer and is valid only until the OnMessage callback that receives it
// returns. Copy it (bytes.Clone) to keep it.
//
// Limits are not applied. tcp never holds bytes back waiting for the rest of a
// message, so a message is never larger than what the framework had buffered
// when it called Decode, nor than MaxMessage: input that waited while the
// connection was paused (back-pressure) comes back in pieces an echo or a
// relay can send on, each fitting in half of the default send buffer.
package tcp

import (
	"fmt"

	"github.com/workerman-go/workerman/protocols"
)

// Scheme is the address scheme of the protocol.
const Scheme = "tcp"

// MaxMessage is the most bytes one message carries: 64 KiB, a read's worth.
const MaxMessage = 64 << 10

// Protocol returns the raw TCP protocol. The value is stateless and safe for
// concurrent use.
func Protocol() protocols.Protocol[[]byte] { return protocol{} }

type protocol struct{}

func (protocol) Scheme() string { return Scheme }

// NewCodec returns a codec. The limits are ignored: see the package
// documentation.
func (protocol) NewCodec(protocols.Limits) protocols.Codec[[]byte] { return codec{} }

// codec has no state: every call is independent of the previous ones.
type codec struct{}

// Decode returns in (at most MaxMessage bytes of it) as one message and
// consumes it. It needs more bytes (n == 0) only when in is empty. The
// message aliases in; its capacity is cut to its length, so appending to it
// allocates instead of writing into the connection's buffer.
func (codec) Decode(in []byte) ([]byte, int, bool, error) {
	if len(in) == 0 {
		return nil, 0, false, nil
	}
	n := min(len(in), MaxMessage)
	return in[:n:n], n, false, nil
}

// Encode appends msg, a string or a []byte, to dst unchanged.
func (codec) Encode(dst []byte, msg any) ([]byte, error) {
	switch m := msg.(type) {
	case []byte:
		return append(dst, m...), nil
	case string:
		return append(dst, m...), nil
	default:
		return dst, fmt.Errorf("tcp: cannot encode %T: %w", msg, protocols.ErrUnsupportedMessage)
	}
}
