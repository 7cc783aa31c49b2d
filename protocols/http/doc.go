// Package http is the HTTP server protocol of workerman-go (HTTP/1.x, and
// HTTP/2 on the same port), the http:// scheme of a Worker as in Workerman,
// with the requests, responses, static files and sessions that go with it,
// and the request parser for protocols built on HTTP.
//
// # Serving
//
// Protocol, or ProtocolWith and a Config, is the protocol of an http://
// Worker. Config bounds each request (Limits: a request line too long is
// answered 414, a header section 431, a body 413), answers 408 to a head
// slower than HeaderTimeout or a body that stops arriving, and closes a
// keep-alive connection idle for IdleTimeout.
//
// OnMessage receives each *Request: Method, Path and Query, Header, Cookie,
// Body, PostForm and Form, MultipartForm, JSON, Session, and whether it is
// an EventSource (AcceptsEventStream) or a protocol switch (IsUpgrade, as
// for a WebSocket).
//
// The callback, or any goroutine later, answers with c.Send:
//
//   - a string or []byte: a 200 response with Content-Type text/html, as in
//     Workerman;
//   - a *Response (NewResponse): any status, fields and cookies;
//   - NewChunkedResponse: then each Send is a chunk, and an empty one ends
//     the body; a Stream response: then whatever is sent, until the
//     connection closes (protocols/sse starts its streams this way).
//
// A request gets one response. The next request on the connection is read
// only once that response is complete, so pipelined requests are answered
// in order. ProtocolWith has the details.
//
// # Files and sessions
//
// ServeFile answers with a file, and a FileServer (NewFileServer,
// NewFSServer for an embed.FS) with the files of a folder: Content-Type,
// Last-Modified, the preconditions of RFC 9110 (If-Match and
// If-Unmodified-Since answered 412, If-None-Match "*" and If-Modified-Since
// 304), a byte Range (206), and large files streamed as the client reads
// them. A process out of file descriptors answers 503 with Retry-After. A
// folder requested without its final '/' is redirected to its cleaned path,
// always on this host.
//
// Request.Session returns the client's Session, found through a cookie;
// SessionConfig chooses the store (by default a FileSessionStore, one file
// per session as in PHP, in a folder that must be private to the process's
// user). A session is stored, and its cookie set, only once it holds data,
// and deleted when it becomes empty. The store is not called on an event
// loop (but for the first session of a process, see Request.Session): a
// request with a session cookie is delivered once its session is loaded by
// a goroutine, and a changed session is saved by another after the
// response is encoded (the response does not wait; the session's next
// load does).
//
// # For protocol authors
//
// Parser is the incremental, strict (RFC 9112) request parser the server
// uses: Parse consumes bytes as they arrive and returns each complete
// Request, or an *Error whose Reply is the response to write before
// closing. Response.AppendTo encodes a response. protocols/websocket reads
// the opening handshake of a websocket:// connection this way.
//
// # Lifetimes
//
// A *Request owns its memory: the head is copied once out of the
// connection's buffer and every string field is a substring of that copy;
// the body is its own slice. A request stays valid after the callback that
// received it returns and may be kept or handed to another goroutine (it is
// not safe for concurrent use by several goroutines). Only the temporary
// files of a multipart upload go away, once the response is complete (see
// Request.MultipartForm).
//
// # Header names
//
// Header keeps field names as the peer (or the application) spelled them and
// compares them ASCII case-insensitively, so iteration shows the original
// spelling and order, and Get("content-type") finds "Content-Type". Names are
// never canonicalized.
//
// # HTTP/2
//
// A connection speaks HTTP/2 (RFC 9113) when its TLS handshake chose "h2"
// (a TLS Worker offers it by ALPN, see NextProtos) or, without TLS, when it
// starts with the HTTP/2 client preface (prior knowledge); Config's
// DisableHTTP2 turns this off. Each stream is then a connection of its own
// to the application (connection.Conn.OpenStream: Parent returns the
// HTTP/2 connection): OnMessage receives its *Request (Proto "HTTP/2.0"),
// and Send, Close, timers, event streams, files and long polling work on it
// as on an HTTP/1.1 connection that answers one request. Flow control holds
// what a stream's window does not allow in that stream's send buffer. A
// connection carries at most 100 streams at once; floods of control frames,
// resets or CONTINUATION frames end it with GOAWAY ENHANCE_YOUR_CALM; a stop
// or a reload sends GOAWAY and lets the streams finish. WebSocket stays on
// HTTP/1.1 (RFC 8441 is not offered).
//
// # What it is not
//
// It is not net/http and shares no code or types with it: Request, Response
// and Header are this package's own, shaped after Workerman's. TLS is the
// Worker's (worker.Worker.TLSConfig). It has no client side.
package http
