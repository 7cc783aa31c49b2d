// Package h2frame is the frame layer of HTTP/2 (RFC 9113 sections 3.4, 4,
// 5.1, 6 and 7) for the HTTP/2 server that runs on workerman-go's event
// loops: pure code over byte slices that says whether a complete frame
// starts a connection's input buffer, checks what the RFC lets a frame be
// checked for on its own, reads its fields, and appends the server's frames
// to an output buffer.
//
// It is not an HTTP/2 server and holds no state: no HPACK (header blocks are
// carried as bytes; the server decodes and encodes them with
// golang.org/x/net/http2/hpack), no stream states, no flow-control windows,
// no SETTINGS negotiation, no priorities. It never reads, writes, blocks or
// starts a goroutine, and it does not import net/http. Parse is a pure
// function of the bytes it is given.
//
// # Reading
//
// The server first checks the client connection preface with ParsePreface,
// then calls Parse on the bytes buffered so far, as often as it returns a
// frame:
//
//   - n == 0 and err == nil: the frame is not complete yet; wait for more
//     bytes. A frame longer than the maximum frame size is refused from its
//     9-byte header alone, so the buffer never holds more than one maximum
//     frame plus a header.
//   - err is a *ConnError: the connection is broken (RFC 9113 section
//     5.4.1); send AppendGoAway with its Code and close. f and n are zero.
//   - err is a *StreamError: the frame is well formed as a frame but breaks
//     a rule of its stream (section 5.4.2). f is the frame and n its size:
//     send AppendRSTStream with its Code, consume n bytes and go on. A
//     HEADERS frame that fails this way still carries a field block, which
//     the server must decode to keep its HPACK state in step (section 4.3).
//   - otherwise: act on f according to f.Type, then consume n bytes. A frame
//     of a type this package does not know is returned as it is, for the
//     server to ignore (sections 4.1 and 5.5).
//
// The typed readers (DataPayload, HeadersFragment, Priority, RSTCode,
// Settings, PingData, GoAway, WindowIncrement, PushPromise) read the fields
// of a frame Parse accepted, without allocating.
//
// # Lifetime of payloads
//
// Frame.Payload, and every slice a reader returns (DataPayload,
// HeadersFragment, GoAway's debug data, PushPromise's fragment), aliases the
// buffer given to Parse. It is valid until the caller consumes those bytes
// or reuses the buffer; copy what must live longer.
//
// # What the server checks
//
// Rules that need a connection's or a stream's state are the server's:
// a field block is a HEADERS frame and the CONTINUATION frames on the same
// stream that follow it up to END_HEADERS, with no other frame in between
// (section 4.3, a connection error PROTOCOL_ERROR otherwise); stream
// identifiers a client opens are odd and increasing (section 5.1.1); stream
// states (section 5.1); flow control, which counts a DATA frame's whole
// Length, padding included (section 6.9); acknowledging and applying SETTINGS
// (section 6.5.3); refusing PUSH_PROMISE, which a client must not send
// (section 8.4). The maxFrameSize given to Parse is the
// SETTINGS_MAX_FRAME_SIZE the server advertised (the larger of the old and
// new values while a change is not yet acknowledged).
//
// # Writing
//
// Each AppendX function appends one complete frame (AppendHeaders: a HEADERS
// frame and its CONTINUATION frames) to a buffer and returns it, as append
// does; into a buffer with enough capacity they allocate nothing. The server
// never pads its frames. The appenders do not check protocol rules the server
// owns (a DATA frame's size against the peer's maximum, a window increment of
// zero); they panic only on a value the wire format cannot represent, such as
// a length of more than 16,777,215 bytes or a stream identifier of 2^31 or
// more, which is a bug in the caller.
package h2frame
