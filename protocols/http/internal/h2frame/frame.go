package h2frame

import (
	"encoding/binary"
	"strconv"
)

// ClientPreface is the client connection preface (RFC 9113 section 3.4):
// the first 24 bytes a client sends, before its first SETTINGS frame.
const ClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// Sizes and limits of RFC 9113.
const (
	// HeaderLen is the size of a frame header (section 4.1).
	HeaderLen = 9
	// DefaultMaxFrameSize is the initial SETTINGS_MAX_FRAME_SIZE, the
	// largest frame payload every endpoint accepts (section 4.2).
	DefaultMaxFrameSize = 16384
	// MaxFrameSizeLimit is the largest SETTINGS_MAX_FRAME_SIZE, 2^24-1
	// (section 6.5.2).
	MaxFrameSizeLimit = 1<<24 - 1
	// DefaultInitialWindowSize is the initial flow-control window of a
	// stream and of a connection (sections 6.5.2 and 6.9.2).
	DefaultInitialWindowSize = 65535
	// MaxWindowSize is the largest flow-control window, 2^31-1 (section
	// 6.9.1).
	MaxWindowSize = 1<<31 - 1
	// DefaultHeaderTableSize is the initial SETTINGS_HEADER_TABLE_SIZE
	// (section 6.5.2).
	DefaultHeaderTableSize = 4096
	// MaxStreamID is the largest stream identifier, 2^31-1 (section 5.1.1).
	MaxStreamID = 1<<31 - 1
)

// Type is a frame type (RFC 9113 section 6).
type Type uint8

// The frame types of RFC 9113 section 6.
const (
	TypeData         Type = 0x0
	TypeHeaders      Type = 0x1
	TypePriority     Type = 0x2
	TypeRSTStream    Type = 0x3
	TypeSettings     Type = 0x4
	TypePushPromise  Type = 0x5
	TypePing         Type = 0x6
	TypeGoAway       Type = 0x7
	TypeWindowUpdate Type = 0x8
	TypeContinuation Type = 0x9
)

var typeNames = [...]string{
	TypeData:         "DATA",
	TypeHeaders:      "HEADERS",
	TypePriority:     "PRIORITY",
	TypeRSTStream:    "RST_STREAM",
	TypeSettings:     "SETTINGS",
	TypePushPromise:  "PUSH_PROMISE",
	TypePing:         "PING",
	TypeGoAway:       "GOAWAY",
	TypeWindowUpdate: "WINDOW_UPDATE",
	TypeContinuation: "CONTINUATION",
}

// String returns the type's name in RFC 9113 ("HEADERS"), or
// "UNKNOWN_TYPE_0x..." for another type.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "UNKNOWN_TYPE_0x" + strconv.FormatUint(uint64(t), 16)
}

// Flags are the flags of a frame header. Their meaning depends on the frame
// type; flags a type does not define are ignored on receipt (section 4.1).
type Flags uint8

// The flags of RFC 9113 section 6.
const (
	FlagEndStream  Flags = 0x1  // DATA, HEADERS: last frame of the stream
	FlagAck        Flags = 0x1  // SETTINGS, PING: an acknowledgement
	FlagEndHeaders Flags = 0x4  // HEADERS, PUSH_PROMISE, CONTINUATION: end of the field block
	FlagPadded     Flags = 0x8  // DATA, HEADERS, PUSH_PROMISE: a Pad Length field and padding
	FlagPriority   Flags = 0x20 // HEADERS: the priority fields of RFC 7540 are present
)

// Has reports whether all the flags in v are set.
func (f Flags) Has(v Flags) bool { return f&v == v }

// SettingID identifies a SETTINGS parameter (RFC 9113 section 6.5.2).
type SettingID uint16

// The SETTINGS parameters of RFC 9113 section 6.5.2, RFC 8441 and RFC 9218.
const (
	SettingHeaderTableSize       SettingID = 0x1
	SettingEnablePush            SettingID = 0x2
	SettingMaxConcurrentStreams  SettingID = 0x3
	SettingInitialWindowSize     SettingID = 0x4
	SettingMaxFrameSize          SettingID = 0x5
	SettingMaxHeaderListSize     SettingID = 0x6
	SettingEnableConnectProtocol SettingID = 0x8 // RFC 8441: extended CONNECT
	SettingNoRFC7540Priorities   SettingID = 0x9 // RFC 9218
)

var settingNames = [...]string{
	SettingHeaderTableSize:       "HEADER_TABLE_SIZE",
	SettingEnablePush:            "ENABLE_PUSH",
	SettingMaxConcurrentStreams:  "MAX_CONCURRENT_STREAMS",
	SettingInitialWindowSize:     "INITIAL_WINDOW_SIZE",
	SettingMaxFrameSize:          "MAX_FRAME_SIZE",
	SettingMaxHeaderListSize:     "MAX_HEADER_LIST_SIZE",
	SettingEnableConnectProtocol: "ENABLE_CONNECT_PROTOCOL",
	SettingNoRFC7540Priorities:   "NO_RFC7540_PRIORITIES",
}

// String returns the parameter's name without its SETTINGS_ prefix
// ("MAX_FRAME_SIZE"), or "UNKNOWN_SETTING_0x..." for another identifier
// (which a receiver ignores, section 6.5.2).
func (s SettingID) String() string {
	if int(s) < len(settingNames) && settingNames[s] != "" {
		return settingNames[s]
	}
	return "UNKNOWN_SETTING_0x" + strconv.FormatUint(uint64(s), 16)
}

// Setting is one parameter of a SETTINGS frame.
type Setting struct {
	ID  SettingID
	Val uint32
}

// ValidateSetting checks a value the peer sent against RFC 9113 section
// 6.5.2: ENABLE_PUSH (and the boolean ENABLE_CONNECT_PROTOCOL of RFC 8441
// and NO_RFC7540_PRIORITIES of RFC 9218) must be 0 or 1, and MAX_FRAME_SIZE
// within [16384, 16777215], or it is a *ConnError PROTOCOL_ERROR;
// INITIAL_WINDOW_SIZE above 2^31-1 is a *ConnError FLOW_CONTROL_ERROR. Any
// other value, and any unknown parameter, is valid. Parse already checks
// every parameter of a SETTINGS frame with it.
func ValidateSetting(s Setting) error {
	switch s.ID {
	case SettingEnablePush, SettingEnableConnectProtocol, SettingNoRFC7540Priorities:
		if s.Val > 1 {
			return connErr(ErrCodeProtocol, "SETTINGS_%s is %d, must be 0 or 1", s.ID, s.Val)
		}
	case SettingInitialWindowSize:
		if s.Val > MaxWindowSize {
			return connErr(ErrCodeFlowControl, "SETTINGS_INITIAL_WINDOW_SIZE is %d, above the maximum window of %d", s.Val, MaxWindowSize)
		}
	case SettingMaxFrameSize:
		if s.Val < DefaultMaxFrameSize || s.Val > MaxFrameSizeLimit {
			return connErr(ErrCodeProtocol, "SETTINGS_MAX_FRAME_SIZE is %d, must be within [%d, %d]", s.Val, DefaultMaxFrameSize, MaxFrameSizeLimit)
		}
	}
	return nil
}

// Header is a frame header (RFC 9113 section 4.1).
type Header struct {
	Length   uint32 // payload length, 24 bits
	Type     Type
	Flags    Flags
	StreamID uint32 // 31 bits: the reserved bit is dropped on receipt
}

// ParseHeader reads the frame header at the start of b. ok is false when b
// holds fewer than HeaderLen bytes. It does not check the header.
func ParseHeader(b []byte) (h Header, ok bool) {
	if len(b) < HeaderLen {
		return Header{}, false
	}
	return Header{
		Length:   uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]),
		Type:     Type(b[3]),
		Flags:    Flags(b[4]),
		StreamID: binary.BigEndian.Uint32(b[5:9]) & MaxStreamID,
	}, true
}

// Frame is a frame: its header and its payload.
//
// Payload aliases the buffer given to Parse, and so does every slice the
// readers return: they are valid until the caller consumes those bytes or
// reuses the buffer. Its capacity ends with the frame, so appending to it
// cannot overwrite the bytes after it.
type Frame struct {
	Header
	Payload []byte
}

// Parse reads the frame at the start of buf. maxFrameSize is the largest
// payload the server accepts, its SETTINGS_MAX_FRAME_SIZE; it is raised to
// DefaultMaxFrameSize if lower (every peer may send frames of that size).
//
// It returns:
//   - n == 0 and a nil error while buf does not hold the whole frame yet;
//   - the frame and its size n (header included) when it is complete and
//     valid; n never exceeds len(buf);
//   - a *ConnError, with n == 0, when the frame breaks a rule of RFC 9113
//     that is a connection error. A frame longer than maxFrameSize
//     (FRAME_SIZE_ERROR, section 4.2) and a header that is wrong on its own
//     (a stream identifier that must or must not be 0, a fixed length) are
//     refused as soon as the 9-byte header is in buf, before the payload;
//   - a *StreamError with the complete frame and its size n when the frame
//     breaks a rule that is a stream error: a PRIORITY frame whose length is
//     not 5 (FRAME_SIZE_ERROR), a HEADERS or PRIORITY frame that makes a
//     stream depend on itself (PROTOCOL_ERROR, section 5.3.1), a
//     WINDOW_UPDATE of 0 on a stream (PROTOCOL_ERROR; on stream 0 it is a
//     *ConnError).
//
// The checks, by type (section 6): DATA, HEADERS, PRIORITY, RST_STREAM,
// PUSH_PROMISE and CONTINUATION must not be on stream 0, and SETTINGS, PING
// and GOAWAY must be (PROTOCOL_ERROR); RST_STREAM and WINDOW_UPDATE are 4
// bytes long, PING 8, GOAWAY at least 8, SETTINGS a multiple of 6 and empty
// with ACK, a padded frame holds its Pad Length and a HEADERS frame with
// PRIORITY its 5 bytes of priority (FRAME_SIZE_ERROR); padding must fit in
// the payload (PROTOCOL_ERROR); each SETTINGS parameter must pass
// ValidateSetting. A frame of an unknown type is returned unchecked, for the
// caller to ignore.
//
// Parse keeps no state and does not allocate unless it returns an error.
func Parse(buf []byte, maxFrameSize uint32) (f Frame, n int, err error) {
	h, ok := ParseHeader(buf)
	if !ok {
		return Frame{}, 0, nil
	}
	if maxFrameSize < DefaultMaxFrameSize {
		maxFrameSize = DefaultMaxFrameSize
	}
	if h.Length > maxFrameSize {
		return Frame{}, 0, connErr(ErrCodeFrameSize, "%s frame of %d bytes on stream %d exceeds the maximum frame size of %d", h.Type, h.Length, h.StreamID, maxFrameSize)
	}
	if err := checkHeader(h); err != nil {
		return Frame{}, 0, err
	}
	end := HeaderLen + int(h.Length)
	if len(buf) < end {
		return Frame{}, 0, nil
	}
	f = Frame{Header: h, Payload: buf[HeaderLen:end:end]}
	if err := checkPayload(f); err != nil {
		if _, ok := err.(*StreamError); ok {
			return f, end, err
		}
		return Frame{}, 0, err
	}
	return f, end, nil
}

// checkHeader returns the connection errors a frame header shows on its own.
func checkHeader(h Header) error {
	switch h.Type {
	case TypeData, TypeHeaders, TypePriority, TypeRSTStream, TypePushPromise, TypeContinuation:
		if h.StreamID == 0 {
			return connErr(ErrCodeProtocol, "%s frame on stream 0", h.Type)
		}
	case TypeSettings, TypePing, TypeGoAway:
		if h.StreamID != 0 {
			return connErr(ErrCodeProtocol, "%s frame on stream %d, must be on stream 0", h.Type, h.StreamID)
		}
	}
	switch h.Type {
	case TypeData, TypeHeaders, TypePushPromise:
		fixed := uint32(0)
		if h.Flags.Has(FlagPadded) {
			fixed++
		}
		switch {
		case h.Type == TypeHeaders && h.Flags.Has(FlagPriority):
			fixed += 5
		case h.Type == TypePushPromise:
			fixed += 4
		}
		if h.Length < fixed {
			return connErr(ErrCodeFrameSize, "%s frame of %d bytes with flags 0x%x, too short for its fixed fields of %d bytes", h.Type, h.Length, uint8(h.Flags), fixed)
		}
	case TypeRSTStream, TypeWindowUpdate:
		if h.Length != 4 {
			return connErr(ErrCodeFrameSize, "%s frame of %d bytes, must be 4", h.Type, h.Length)
		}
	case TypeSettings:
		if h.Flags.Has(FlagAck) && h.Length != 0 {
			return connErr(ErrCodeFrameSize, "SETTINGS ACK frame of %d bytes, must be empty", h.Length)
		}
		if h.Length%6 != 0 {
			return connErr(ErrCodeFrameSize, "SETTINGS frame of %d bytes, not a multiple of 6", h.Length)
		}
	case TypePing:
		if h.Length != 8 {
			return connErr(ErrCodeFrameSize, "PING frame of %d bytes, must be 8", h.Length)
		}
	case TypeGoAway:
		if h.Length < 8 {
			return connErr(ErrCodeFrameSize, "GOAWAY frame of %d bytes, must be at least 8", h.Length)
		}
	}
	return nil
}

// checkPayload returns the errors a complete frame shows on its own, once
// checkHeader has passed.
func checkPayload(f Frame) error {
	switch f.Type {
	case TypeData, TypeHeaders, TypePushPromise:
		if f.Flags.Has(FlagPadded) {
			fixed := 1
			switch {
			case f.Type == TypeHeaders && f.Flags.Has(FlagPriority):
				fixed += 5
			case f.Type == TypePushPromise:
				fixed += 4
			}
			if pad := int(f.Payload[0]); pad > len(f.Payload)-fixed {
				return connErr(ErrCodeProtocol, "%s frame of %d bytes with %d bytes of padding, more than the payload holds", f.Type, f.Length, pad)
			}
		}
		if f.Type == TypeHeaders && f.Flags.Has(FlagPriority) {
			if _, p, _ := f.HeadersFragment(); p.StreamDep == f.StreamID {
				return streamErr(f.StreamID, ErrCodeProtocol, "HEADERS frame makes stream %d depend on itself", f.StreamID)
			}
		}
	case TypePriority:
		if f.Length != 5 {
			return streamErr(f.StreamID, ErrCodeFrameSize, "PRIORITY frame of %d bytes, must be 5", f.Length)
		}
		if f.Priority().StreamDep == f.StreamID {
			return streamErr(f.StreamID, ErrCodeProtocol, "PRIORITY frame makes stream %d depend on itself", f.StreamID)
		}
	case TypeSettings:
		for i := 0; i < f.NumSettings(); i++ {
			if err := ValidateSetting(f.Setting(i)); err != nil {
				return err
			}
		}
	case TypeWindowUpdate:
		if f.WindowIncrement() == 0 {
			if f.StreamID == 0 {
				return connErr(ErrCodeProtocol, "WINDOW_UPDATE frame with an increment of 0 on the connection")
			}
			return streamErr(f.StreamID, ErrCodeProtocol, "WINDOW_UPDATE frame with an increment of 0")
		}
	}
	return nil
}

// ParsePreface checks the client connection preface (RFC 9113 section 3.4)
// at the start of buf. It returns n == len(ClientPreface) once the whole
// preface is there, n == 0 and a nil error while buf holds a shorter part of
// it, and a *ConnError PROTOCOL_ERROR as soon as a byte differs (a client
// speaking HTTP/1.1, for one).
func ParsePreface(buf []byte) (n int, err error) {
	m := min(len(buf), len(ClientPreface))
	if string(buf[:m]) != ClientPreface[:m] {
		// string() copies, so that buf does not escape.
		return 0, connErr(ErrCodeProtocol, "invalid client connection preface %q", string(buf[:m]))
	}
	if m < len(ClientPreface) {
		return 0, nil
	}
	return m, nil
}
