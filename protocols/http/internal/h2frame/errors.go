package h2frame

import (
	"fmt"
	"strconv"
)

// ErrCode is an HTTP/2 error code (RFC 9113 section 7), carried by
// RST_STREAM and GOAWAY frames.
type ErrCode uint32

// The error codes of RFC 9113 section 7.
const (
	ErrCodeNo                 ErrCode = 0x0 // NO_ERROR: graceful shutdown
	ErrCodeProtocol           ErrCode = 0x1 // PROTOCOL_ERROR
	ErrCodeInternal           ErrCode = 0x2 // INTERNAL_ERROR
	ErrCodeFlowControl        ErrCode = 0x3 // FLOW_CONTROL_ERROR
	ErrCodeSettingsTimeout    ErrCode = 0x4 // SETTINGS_TIMEOUT
	ErrCodeStreamClosed       ErrCode = 0x5 // STREAM_CLOSED
	ErrCodeFrameSize          ErrCode = 0x6 // FRAME_SIZE_ERROR
	ErrCodeRefusedStream      ErrCode = 0x7 // REFUSED_STREAM
	ErrCodeCancel             ErrCode = 0x8 // CANCEL
	ErrCodeCompression        ErrCode = 0x9 // COMPRESSION_ERROR
	ErrCodeConnect            ErrCode = 0xa // CONNECT_ERROR
	ErrCodeEnhanceYourCalm    ErrCode = 0xb // ENHANCE_YOUR_CALM
	ErrCodeInadequateSecurity ErrCode = 0xc // INADEQUATE_SECURITY
	ErrCodeHTTP11Required     ErrCode = 0xd // HTTP_1_1_REQUIRED
)

var errCodeNames = [...]string{
	ErrCodeNo:                 "NO_ERROR",
	ErrCodeProtocol:           "PROTOCOL_ERROR",
	ErrCodeInternal:           "INTERNAL_ERROR",
	ErrCodeFlowControl:        "FLOW_CONTROL_ERROR",
	ErrCodeSettingsTimeout:    "SETTINGS_TIMEOUT",
	ErrCodeStreamClosed:       "STREAM_CLOSED",
	ErrCodeFrameSize:          "FRAME_SIZE_ERROR",
	ErrCodeRefusedStream:      "REFUSED_STREAM",
	ErrCodeCancel:             "CANCEL",
	ErrCodeCompression:        "COMPRESSION_ERROR",
	ErrCodeConnect:            "CONNECT_ERROR",
	ErrCodeEnhanceYourCalm:    "ENHANCE_YOUR_CALM",
	ErrCodeInadequateSecurity: "INADEQUATE_SECURITY",
	ErrCodeHTTP11Required:     "HTTP_1_1_REQUIRED",
}

// String returns the code's name in RFC 9113 ("PROTOCOL_ERROR"), or
// "UNKNOWN_ERROR_0x..." for a code the RFC does not define (which a receiver
// must not treat as special, section 7).
func (c ErrCode) String() string {
	if int(c) < len(errCodeNames) {
		return errCodeNames[c]
	}
	return "UNKNOWN_ERROR_0x" + strconv.FormatUint(uint64(c), 16)
}

// ConnError is a connection error (RFC 9113 section 5.4.1): the peer broke
// a rule of the protocol and the connection cannot go on. The server sends
// a GOAWAY frame with Code and closes the connection.
type ConnError struct {
	Code   ErrCode // the code to send in GOAWAY
	Reason string  // what was wrong, for logs
}

// Error names the code and the problem.
func (e *ConnError) Error() string {
	return "h2frame: connection error " + e.Code.String() + ": " + e.Reason
}

// StreamError is a stream error (RFC 9113 section 5.4.2): a frame broke a
// rule of its stream. The server sends RST_STREAM with Code on StreamID and
// goes on with the connection.
type StreamError struct {
	StreamID uint32  // the stream to reset
	Code     ErrCode // the code to send in RST_STREAM
	Reason   string  // what was wrong, for logs
}

// Error names the stream, the code and the problem.
func (e *StreamError) Error() string {
	return "h2frame: stream " + strconv.FormatUint(uint64(e.StreamID), 10) + " error " + e.Code.String() + ": " + e.Reason
}

func connErr(code ErrCode, format string, args ...any) error {
	return &ConnError{Code: code, Reason: fmt.Sprintf(format, args...)}
}

func streamErr(stream uint32, code ErrCode, format string, args ...any) error {
	return &StreamError{StreamID: stream, Code: code, Reason: fmt.Sprintf(format, args...)}
}
