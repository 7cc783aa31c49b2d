package http

import (
	"strconv"

	"github.com/workerman-go/workerman/protocols"
)

// Error is a rejected request, with the status code that answers it. Parse
// returns one for a request it rejects: 400 malformed, 413 body too large,
// 414 request line too long, 417 unsupported expectation, 431 header section
// too large, 501 unsupported transfer coding, 505 unsupported HTTP version.
// The http:// protocol also answers 408 when a head or a body is late (see
// Config). An application makes one with NewError to refuse a request with
// a status of its choosing where a protocol takes an error for that (as
// websocket's OnWebSocketConnect does).
//
// A request rejected by Parse leaves the connection unusable: the framing
// of what follows is unknown. Answer with Reply, then close. Error
// implements protocols.Rejection, so a codec that returns one from Decode
// has the connection do exactly that.
type Error struct {
	Status int    // the response status code
	Msg    string // what was wrong, starting with "http: "
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns protocols.ErrPackageTooLarge for the statuses that report a
// size limit (413, 414, 431), as the codec contract asks, and nil otherwise.
func (e *Error) Unwrap() error {
	switch e.Status {
	case 413, 414, 431:
		return protocols.ErrPackageTooLarge
	}
	return nil
}

// Reply returns a complete response for the error: the status line, the
// Date (RFC 9110 §6.6.1), a plain-text body holding Msg, its
// Content-Length, and "Connection: close". The response counts in
// ResponseCounts: Reply is called to send it.
func (e *Error) Reply() []byte {
	countStatus(e.Status, 0) // rare: one shard will do
	b := make([]byte, 0, 160+len(e.Msg))
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	b = append(b, ' ')
	b = append(b, StatusText(e.Status)...)
	b = append(b, "\r\nDate: "...)
	b = appendDate(b)
	b = append(b, "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(e.Msg)), 10)
	b = append(b, "\r\nConnection: close\r\n\r\n"...)
	return append(b, e.Msg...)
}

// NewError returns an Error with the given status and message.
func NewError(status int, msg string) *Error { return &Error{Status: status, Msg: msg} }

// errRequestTimeout answers a request whose head or body did not arrive in
// time (the parser has no clock: the server codec's deadline sweep uses it).
var errRequestTimeout = &Error{408, "http: request not received in time"}

// The parser's errors. They are shared values: compare Status, or the value
// itself, never modify them. Messages do not quote the request's bytes, so a
// reply never reflects what a client sent.
var (
	errBareCR          = &Error{400, "http: CR not followed by LF"}
	errRequestLine     = &Error{400, "http: malformed request line"}
	errMethod          = &Error{400, "http: invalid method"}
	errVersion         = &Error{400, "http: malformed HTTP version"}
	errVersionSupport  = &Error{505, "http: unsupported HTTP version"}
	errTarget          = &Error{400, "http: invalid request-target"}
	errPercent         = &Error{400, "http: invalid percent-encoding in request-target"}
	errAsterisk        = &Error{400, "http: request-target * is only allowed with OPTIONS"}
	errConnectTarget   = &Error{400, "http: CONNECT needs an authority-form request-target (host:port)"}
	errScheme          = &Error{400, "http: absolute-form request-target with a scheme other than http or https"}
	errAuthority       = &Error{400, "http: invalid authority in request-target"}
	errUserinfo        = &Error{400, "http: userinfo in request-target"}
	errRequestLineLong = &Error{414, "http: request line exceeds the header size limit"}
	errHeadTooLarge    = &Error{431, "http: header section exceeds the size limit"}
	errTooManyHeaders  = &Error{431, "http: too many header fields"}
	errObsFold         = &Error{400, "http: obsolete line folding in header section"}
	errNoColon         = &Error{400, "http: header line without a colon"}
	errSpaceColon      = &Error{400, "http: whitespace between header field name and colon"}
	errFieldName       = &Error{400, "http: invalid header field name"}
	errFieldValue      = &Error{400, "http: control character in header field value"}
	errNoHost          = &Error{400, "http: missing Host header"}
	errManyHosts       = &Error{400, "http: more than one Host header"}
	errBadHost         = &Error{400, "http: invalid Host header"}
	errCLAndTE         = &Error{400, "http: Content-Length and Transfer-Encoding both present"}
	errTE10            = &Error{400, "http: Transfer-Encoding in an HTTP/1.0 request"}
	errTEEmpty         = &Error{400, "http: empty Transfer-Encoding"}
	errTESyntax        = &Error{400, "http: malformed Transfer-Encoding"}
	errChunkedNotLast  = &Error{400, "http: chunked is not the final transfer coding"}
	errChunkedTwice    = &Error{400, "http: chunked applied more than once"}
	errTEUnsupported   = &Error{501, "http: unsupported transfer coding"}
	errCLSyntax        = &Error{400, "http: invalid Content-Length"}
	errCLMismatch      = &Error{400, "http: conflicting Content-Length values"}
	errBodyTooLarge    = &Error{413, "http: body exceeds the size limit"}
	errExpect          = &Error{417, "http: unsupported expectation"}
	errChunkSize       = &Error{400, "http: invalid chunk size"}
	errChunkOverflow   = &Error{400, "http: chunk size overflows"}
	errChunkExt        = &Error{400, "http: invalid chunk extension"}
	errChunkLineLong   = &Error{400, "http: chunk size line too long"}
	errChunkLF         = &Error{400, "http: chunked body line not terminated by CRLF"}
	errChunkDataEnd    = &Error{400, "http: chunk data not followed by CRLF"}
	errTrailerTooLarge = &Error{431, "http: trailer section exceeds the size limit"}
	errTooManyTrailers = &Error{431, "http: too many trailer fields"}
)
