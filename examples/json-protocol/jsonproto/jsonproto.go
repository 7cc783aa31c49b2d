// Package jsonproto is a length-prefixed JSON protocol, scheme "json", written
// the way an application would write its own protocol for workerman-go.
//
// # Wire format
//
// Every message is a 4-byte big-endian unsigned length n, then n bytes of
// JSON text holding one JSON value. The length counts the body only, not the
// header. The message {"op":"add","a":1,"b":2} (24 bytes) is sent as
//
//	00 00 00 18 {"op":"add","a":1,"b":2}
//
// A body that is not exactly one valid JSON value, or that does not fit the
// message type, is an error and the connection is closed. An empty body is
// not valid JSON, so there is no keep-alive message.
//
// # Messages
//
// Protocol[M] decodes each body into a new value of type M with
// encoding/json: a struct for a fixed schema, map[string]any or any for
// free-form JSON. The decoded message owns its memory and may be kept after
// OnMessage returns.
//
// Conn.Send accepts any value encoding/json can marshal (a struct, a map, M
// itself), plus string, []byte and json.RawMessage, which are taken to be
// JSON text already: they are checked with json.Valid and sent unchanged, so
// that Send(`{"ok":true}`) sends an object and not a quoted string.
//
// # Limits
//
// Limits.MaxPackageSize bounds the body. A Worker or AsyncConn passes its
// MaxPackageSize, 10 MiB unless set; zero or less (a codec made by hand)
// means DefaultMaxPackageSize, the same 10 MiB. Decoding JSON takes several
// times the size of the text in memory, so a server should set a limit that
// suits its messages. A header announcing a larger body is rejected as soon
// as its 4 bytes arrive, before any of the body is received or buffered.
// Encode does not apply the limit: it is the receiver's.
package jsonproto

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/workerman-go/workerman/protocols"
)

// Scheme is the address scheme of the protocol: "json://0.0.0.0:2348".
const Scheme = "json"

// HeaderSize is the length of the header before every body, in bytes.
const HeaderSize = 4

// DefaultMaxPackageSize is the largest body accepted when
// Limits.MaxPackageSize is zero or less: 10 MiB, Workerman's default
// maxPackageSize, as for the framework's own protocols.
const DefaultMaxPackageSize = 10 << 20

// Protocol returns the protocol for messages of type M, which must be a type
// encoding/json can decode into. The value is stateless and safe for
// concurrent use.
func Protocol[M any]() protocols.Protocol[M] { return protocol[M]{} }

// protocol is the value shared by all connections; the per-connection state
// lives in the codec.
type protocol[M any] struct{}

func (protocol[M]) Scheme() string { return Scheme }

// NewCodec returns the codec of one connection, applying limits.
func (protocol[M]) NewCodec(limits protocols.Limits) protocols.Codec[M] {
	limit := limits.MaxPackageSize
	if limit <= 0 {
		limit = DefaultMaxPackageSize
	}
	return &codec[M]{max: uint64(limit)}
}

// codec is the protocol state of one connection. The framework calls it
// from the connection's event loop only, so it needs no locking. This
// protocol needs no state besides its limit: every Decode starts from the
// front of the unconsumed input.
type codec[M any] struct {
	max uint64 // largest body accepted, in bytes
}

// Decode decodes the first message of in. It needs more bytes (n == 0, no
// error) until the header and then the whole body have arrived. A header
// announcing more than MaxPackageSize is an error wrapping
// protocols.ErrPackageTooLarge; a body that encoding/json rejects is an error
// wrapping the encoding/json error (*json.SyntaxError,
// *json.UnmarshalTypeError, ...).
func (c *codec[M]) Decode(in []byte) (msg M, n int, skip bool, err error) {
	if len(in) < HeaderSize {
		return msg, 0, false, nil // wait for the header
	}
	size := uint64(binary.BigEndian.Uint32(in))
	// Check the limit before waiting for the body: a peer must not make the
	// connection buffer a body that will be refused anyway.
	if size > c.max {
		return msg, 0, false, fmt.Errorf("jsonproto: announced body of %d bytes exceeds MaxPackageSize %d: %w",
			size, c.max, protocols.ErrPackageTooLarge)
	}
	// size <= max, which came from an int, so the conversion is safe.
	end := HeaderSize + int(size)
	if len(in) < end {
		return msg, 0, false, nil // wait for the rest of the body
	}
	return decodeBody[M](in[HeaderSize:end], end)
}

// decodeBody decodes a complete body; n is what the message consumed. It is
// apart from Decode so that the value handed to json.Unmarshal, which
// escapes to the heap, is allocated only once a whole body is there: waiting
// for bytes allocates nothing.
func decodeBody[M any](body []byte, n int) (M, int, bool, error) {
	var msg M
	// Unmarshal copies what it keeps, so msg does not refer to the input,
	// which the framework reuses once Decode returns.
	if err := json.Unmarshal(body, &msg); err != nil {
		var zero M // not the half-decoded msg
		return zero, 0, false, fmt.Errorf("jsonproto: body of %d bytes: %w", len(body), err)
	}
	return msg, n, false, nil
}

// Encode appends the header and the JSON form of msg to dst.
func (c *codec[M]) Encode(dst []byte, msg any) ([]byte, error) {
	var body []byte
	switch m := msg.(type) {
	case json.RawMessage:
		body = m
	case []byte:
		body = m
	case string:
		body = []byte(m)
	default:
		b, err := json.Marshal(msg)
		if err != nil {
			var unsupported *json.UnsupportedTypeError
			if errors.As(err, &unsupported) {
				return dst, fmt.Errorf("jsonproto: cannot encode %T: %w: %w", msg, protocols.ErrUnsupportedMessage, err)
			}
			return dst, fmt.Errorf("jsonproto: encoding %T: %w", msg, err)
		}
		return appendMessage(dst, b)
	}
	// Text given as is: refuse what the peer could not decode.
	if !json.Valid(body) {
		return dst, fmt.Errorf("jsonproto: %T message is not valid JSON text", msg)
	}
	return appendMessage(dst, body)
}

// appendMessage appends the header for body, then body, to dst.
func appendMessage(dst, body []byte) ([]byte, error) {
	if uint64(len(body)) > math.MaxUint32 {
		return dst, fmt.Errorf("jsonproto: body of %d bytes does not fit the 4-byte length", len(body))
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
	return append(dst, body...), nil
}
