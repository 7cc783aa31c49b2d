package wsframe

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Close status codes (RFC 6455 section 7.4.1, and the IANA registry for
// 1012-1015). Codes 3000-3999 are registered by libraries and frameworks,
// 4000-4999 are free for applications.
const (
	CloseNormal             = 1000 // the purpose of the connection was fulfilled
	CloseGoingAway          = 1001 // a server going down, a browser leaving the page
	CloseProtocolError      = 1002 // the peer broke RFC 6455 (or a negotiated extension)
	CloseUnsupportedData    = 1003 // a type of data the endpoint cannot accept (text for a binary-only endpoint)
	CloseNoStatus           = 1005 // a close frame without a status code; never sent in one
	CloseAbnormal           = 1006 // the connection was lost without a close frame; never sent
	CloseInvalidPayload     = 1007 // data inconsistent with the message type: invalid UTF-8 in text
	ClosePolicyViolation    = 1008 // a message that violates the endpoint's policy
	CloseMessageTooBig      = 1009 // a message too big to process
	CloseMandatoryExtension = 1010 // (client) the server did not negotiate an extension the client needs
	CloseInternalError      = 1011 // (server) an unexpected condition prevented fulfilling the request
	CloseServiceRestart     = 1012 // the server is restarting
	CloseTryAgainLater      = 1013 // the server is overloaded: try again later
	CloseBadGateway         = 1014 // a gateway or proxy got an invalid response upstream
	CloseTLSHandshake       = 1015 // the TLS handshake failed; never sent
)

// closeCodeText returns the RFC name of a close code, or "" for codes that
// have none.
func closeCodeText(code int) string {
	switch code {
	case CloseNormal:
		return "normal closure"
	case CloseGoingAway:
		return "going away"
	case CloseProtocolError:
		return "protocol error"
	case CloseUnsupportedData:
		return "unsupported data"
	case CloseNoStatus:
		return "no status received"
	case CloseAbnormal:
		return "abnormal closure"
	case CloseInvalidPayload:
		return "invalid frame payload data"
	case ClosePolicyViolation:
		return "policy violation"
	case CloseMessageTooBig:
		return "message too big"
	case CloseMandatoryExtension:
		return "mandatory extension"
	case CloseInternalError:
		return "internal error"
	case CloseServiceRestart:
		return "service restart"
	case CloseTryAgainLater:
		return "try again later"
	case CloseBadGateway:
		return "bad gateway"
	case CloseTLSHandshake:
		return "TLS handshake"
	}
	return ""
}

// ValidCloseCode reports whether code may be sent in a close frame:
// 1000-1003, 1007-1014 and 3000-4999. 1004 is reserved, 1005, 1006 and 1015
// are only for reporting a close locally, and the rest of 0-2999 is
// unassigned or reserved for future RFCs.
func ValidCloseCode(code int) bool {
	switch {
	case code >= CloseNormal && code <= CloseUnsupportedData:
		return true
	case code >= CloseInvalidPayload && code <= CloseBadGateway:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// MaxCloseReason is the longest reason a close frame can carry: the control
// payload limit minus the 2-byte code.
const MaxCloseReason = MaxControlPayload - 2

// CloseError is the status of a closing handshake: the code and reason a peer
// sent in its close frame, or that an endpoint sends. Code is CloseNoStatus
// for a close frame without a payload.
type CloseError struct {
	Code   int
	Reason string
}

// Error describes the close, as in "websocket: close 1001 (going away): bye".
func (e *CloseError) Error() string {
	s := "websocket: close " + strconv.Itoa(e.Code)
	if t := closeCodeText(e.Code); t != "" {
		s += " (" + t + ")"
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// ProtocolError is a frame or message the endpoint refuses: a breach of RFC
// 6455 or RFC 7692 by the peer, or a message over the size limit. Code is the
// close code to fail the connection with (CloseProtocolError,
// CloseInvalidPayload, CloseMessageTooBig), Reason a short description that
// goes into the close frame.
//
// ProtocolError implements protocols.Rejection: Reply is the close frame to
// send before closing the connection. Errors returned by an Assembler
// configured as a client produce a masked frame; all others an unmasked one.
type ProtocolError struct {
	Code   int
	Reason string

	err    error // wrapped cause, if any
	masked bool  // Reply masks the close frame (the endpoint is a client)
}

// protocolErr returns a *ProtocolError with a formatted reason. It is kept
// out of line so that error paths do not weigh on the hot paths that call
// it.
//
//go:noinline
func protocolErr(code int, format string, args ...any) *ProtocolError {
	return &ProtocolError{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// Error describes the problem and the close code, as in "websocket:
// fragmented ping frame (close 1002, protocol error)".
func (e *ProtocolError) Error() string {
	s := "websocket: " + e.Reason + " (close " + strconv.Itoa(e.Code)
	if t := closeCodeText(e.Code); t != "" {
		s += ", " + t
	}
	return s + ")"
}

// Unwrap returns the cause: protocols.ErrPackageTooLarge for a message over
// the limit, a compress/flate error for corrupt compressed data, or nil.
func (e *ProtocolError) Unwrap() error { return e.err }

// Reply returns the close frame that fails the connection: e.Code and
// e.Reason (cut to MaxCloseReason bytes).
func (e *ProtocolError) Reply() []byte {
	h := FrameHeader{Fin: true, Opcode: OpClose}
	if e.masked {
		h.Masked = true
		h.MaskKey = NewMaskKey()
	}
	var p [MaxControlPayload]byte
	return AppendFrame(make([]byte, 0, MaxHeaderSize+MaxControlPayload), h, AppendClosePayload(p[:0], e.Code, e.Reason))
}

// ParseClosePayload returns the status code and reason of a close frame's
// payload. An empty payload has no status: the code is CloseNoStatus. The
// errors are *ProtocolError: a 1-byte payload or a code ValidCloseCode
// rejects (CloseProtocolError), a reason that is not UTF-8
// (CloseInvalidPayload).
func ParseClosePayload(p []byte) (code int, reason string, err error) {
	switch len(p) {
	case 0:
		return CloseNoStatus, "", nil
	case 1:
		return 0, "", protocolErr(CloseProtocolError, "close frame with a 1-byte payload")
	}
	code = int(binary.BigEndian.Uint16(p))
	if !ValidCloseCode(code) {
		return 0, "", protocolErr(CloseProtocolError, "close frame with invalid status code %d", code)
	}
	if !utf8.Valid(p[2:]) {
		return 0, "", protocolErr(CloseInvalidPayload, "close frame reason is not valid UTF-8")
	}
	return code, string(p[2:]), nil
}

// AppendClosePayload appends the payload of a close frame to dst: code in 2
// bytes, then reason. A code that cannot be sent (CloseNoStatus, or any code
// ValidCloseCode rejects) gives an empty payload, which means "no status".
// Invalid UTF-8 in reason is replaced by U+FFFD, and a reason longer than
// MaxCloseReason bytes is cut at a character boundary so the frame stays a
// valid control frame.
func AppendClosePayload(dst []byte, code int, reason string) []byte {
	if !ValidCloseCode(code) {
		return dst
	}
	if !utf8.ValidString(reason) {
		reason = strings.ToValidUTF8(reason, "\uFFFD")
	}
	if len(reason) > MaxCloseReason {
		cut := MaxCloseReason
		for cut > 0 && !utf8.RuneStart(reason[cut]) {
			cut--
		}
		reason = reason[:cut]
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	return append(dst, reason...)
}

// CloseFrame returns a server's (unmasked) close frame with code and reason,
// encoded as AppendClosePayload does. A client masks its close frame:
//
//	AppendFrame(dst, FrameHeader{Fin: true, Opcode: OpClose, Masked: true, MaskKey: NewMaskKey()},
//		AppendClosePayload(nil, code, reason))
func CloseFrame(code int, reason string) []byte {
	var p [MaxControlPayload]byte
	return AppendFrame(nil, FrameHeader{Fin: true, Opcode: OpClose}, AppendClosePayload(p[:0], code, reason))
}
