// Package http is the HTTP/1.x wire protocol of workerman-go: an incremental
// request parser that follows RFC 9112 strictly, the Request and Response
// types handed to and taken from applications, and the encoders for responses
// and chunked bodies.
//
// What it is not: it is not net/http and shares no code or types with it
// (Request and Header are this package's own, shaped after Workerman's
// Request and Response); it speaks HTTP/1.0 and HTTP/1.1 only (an HTTP/2
// preface is answered with 505); it has no TLS (terminate TLS at a proxy);
// it has no client side; and it does not serve files.
//
// # Parsing
//
// A Parser is one connection's state. Parse is given every byte buffered for
// the connection and not yet consumed, returns a request once its head and
// whole body have arrived, and otherwise remembers how far it got, so a
// request that arrives one byte per read costs time proportional to its
// length. See Parser for the rules it enforces and Error for how a rejected
// request is answered.
//
// # Lifetimes
//
// A *Request returned by Parse owns its memory: the head is copied once out
// of the connection's buffer and every string field is a substring of that
// copy; the body is its own slice. A request stays valid after the callback
// that received it returns and may be kept or handed to another goroutine (it
// is not safe for concurrent use by several goroutines).
//
// # Header names
//
// Header keeps field names as the peer (or the application) spelled them and
// compares them ASCII case-insensitively, so iteration shows the original
// spelling and order, and Get("content-type") finds "Content-Type". Names are
// never canonicalized.
package http
