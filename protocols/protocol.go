// Package protocols defines the contract between the framework and a wire
// protocol: how bytes read from a connection become typed messages, and how
// messages given to Conn.Send become bytes.
//
// The shape follows Workerman's protocol classes (input, decode, encode) with
// two changes that suit an event loop written in Go: the message type is a type
// parameter, so callbacks receive typed messages without assertions; and input
// and decode are one call, so a protocol that parses incrementally (HTTP) never
// parses the same bytes twice.
//
// The sub-packages hold the built-in protocols: tcp (raw bytes), text
// (newline-delimited), frame (4-byte length prefix), http (with sse for
// event streams) and websocket. This package does not run connections: the
// connection and worker packages do. A codec that needs its connection
// (to reply on its own, to own timers) also implements
// connection.ConnCodec.
package protocols

import "errors"

// Protocol describes a wire protocol whose decoded messages have type M.
// A Protocol value is shared by every connection of a worker and must be safe
// for concurrent use; per-connection state lives in the Codec it creates.
type Protocol[M any] interface {
	// Scheme is the address scheme that names the protocol, as in Workerman's
	// "text://0.0.0.0:2000": "tcp", "text", "frame", "http", ...
	Scheme() string
	// NewCodec returns the state for one new connection.
	NewCodec(limits Limits) Codec[M]
}

// Codec is one connection's protocol state. Decode runs on the event loop
// that owns the connection. Encode runs on the goroutine that calls Send
// (any goroutine), while the connection's send lock is held, so Encode calls
// never overlap one another; state that Decode and Encode both touch needs a
// lock of the codec's own (taken inside the send lock, never the other way
// round). A codec with no such shared state needs no locking.
type Codec[M any] interface {
	// Decode reads the next message from the front of in, which holds every
	// byte received and not yet consumed.
	//
	// It returns the message and the number of bytes it consumed. n == 0 with a
	// nil error means "need more bytes": Decode is called again when more
	// arrive, with in starting at the same place. A non-nil error rejects the
	// input: the framework reports it through OnError and closes the
	// connection. A Decode that consumes bytes without producing a message
	// (a keep-alive, a control frame) returns skip == true.
	//
	// in is only valid during the call. A message that refers to in (zero
	// copy) is only valid until the OnMessage callback returns, and the
	// protocol must say so in its documentation.
	Decode(in []byte) (msg M, n int, skip bool, err error)

	// Encode appends the wire form of msg to dst and returns the extended
	// slice. It accepts at least string and []byte; a protocol may accept
	// more (its own message types). An unsupported type is an error.
	Encode(dst []byte, msg any) ([]byte, error)
}

// Rejection is implemented by Decode errors that carry bytes for the peer:
// an HTTP error response, a WebSocket close frame. The framework reports the
// error through OnError, writes Reply after everything already queued, and
// then closes the connection (gracefully). Other Decode errors close the
// connection at once.
type Rejection interface {
	error
	Reply() []byte
}

// Limits are the per-connection bounds a codec must enforce.
type Limits struct {
	// MaxPackageSize is the largest message, in bytes, a codec may accept.
	// A message announced or found larger is rejected with ErrPackageTooLarge.
	MaxPackageSize int
}

// ErrPackageTooLarge is wrapped by codecs that reject a message larger than
// Limits.MaxPackageSize.
var ErrPackageTooLarge = errors.New("package exceeds MaxPackageSize")

// ErrUnsupportedMessage is wrapped by Encode when it is given a type it cannot
// encode.
var ErrUnsupportedMessage = errors.New("unsupported message type")

// Effect is what encoding a message asks of the connection, beyond writing
// its bytes. Effects combine as bits.
type Effect uint8

const (
	// CloseAfterWrite: the message ends the connection (an HTTP response
	// that closes it). The connection closes once everything queued, this
	// message included, is written; later sends fail.
	CloseAfterWrite Effect = 1 << iota
	// ResumeDecode: the codec was holding back input until this message (an
	// HTTP request is answered before the next pipelined one is decoded) and
	// can decode again. The framework calls Decode on the connection's loop
	// soon after.
	ResumeDecode
)

// Effector is implemented by codecs whose Encode can ask something of the
// connection. The framework calls Effects after every successful Encode,
// while it still holds the connection's send lock (so effects apply in the
// order of the messages), and applies what it returns. Effects reports what
// the Encode calls since the previous Effects asked for, and forgets it.
type Effector interface {
	Effects() Effect
}

// Sizer is implemented by message types that know about how many bytes
// they encode to (their payload, say): Conn.Send refuses one that would
// not fit in the room left in the connection's send buffer, before it is
// encoded, as it does a string or []byte longer than that room.
type Sizer interface {
	Size() int
}

// Raw is a message already in wire form: a codec that accepts it writes the
// bytes as they are, if its state allows a message at all (a WebSocket
// connection that has sent its close frame does not). A broadcast encodes a
// message once and sends it to many connections as Raw, while each
// connection's codec still decides whether it may be written.
type Raw []byte
