package h2frame

import "encoding/binary"

// The readers below read the fields of a frame Parse accepted. On a frame of
// another type, or one Parse would refuse, they return zero values rather
// than panic. None of them allocates; returned slices alias the frame's
// payload (see Frame).

// Priority is the priority information of RFC 7540 that HEADERS and
// PRIORITY frames carry (RFC 9113 sections 5.3.2 and 6.3), which RFC 9113
// deprecates: a server may ignore it.
type Priority struct {
	StreamDep uint32 // the stream this one depends on, 31 bits
	Exclusive bool
	Weight    uint8 // the weight minus one, as on the wire (0-255 for 1-256)
}

func parsePriority(b []byte) Priority {
	v := binary.BigEndian.Uint32(b[:4])
	return Priority{StreamDep: v & MaxStreamID, Exclusive: v>>31 == 1, Weight: b[4]}
}

// unpad returns the payload of a DATA, HEADERS or PUSH_PROMISE frame after
// its Pad Length field and before its padding; ok is false if the padding
// does not fit.
func (f Frame) unpad() (p []byte, ok bool) {
	p = f.Payload
	if !f.Flags.Has(FlagPadded) {
		return p, true
	}
	if len(p) == 0 {
		return nil, false
	}
	pad := int(p[0])
	p = p[1:]
	if pad > len(p) {
		return nil, false
	}
	return p[:len(p)-pad], true
}

// DataPayload returns the data of a DATA frame, padding removed. Flow
// control counts the whole f.Length instead (RFC 9113 section 6.9).
func (f Frame) DataPayload() []byte {
	if f.Type != TypeData {
		return nil
	}
	p, _ := f.unpad()
	return p
}

// HeadersFragment returns the field block fragment of a HEADERS frame,
// padding and priority removed, with the frame's priority if it carries one
// (flag PRIORITY). For a CONTINUATION frame it returns the payload, which is
// all fragment. The fragments of a HEADERS frame and its CONTINUATION frames,
// joined, make the field block the server decodes with HPACK.
func (f Frame) HeadersFragment() (block []byte, prio Priority, hasPrio bool) {
	switch f.Type {
	case TypeContinuation:
		return f.Payload, Priority{}, false
	case TypeHeaders:
	default:
		return nil, Priority{}, false
	}
	p, ok := f.unpad()
	if !ok {
		return nil, Priority{}, false
	}
	if f.Flags.Has(FlagPriority) {
		if len(p) < 5 {
			return nil, Priority{}, false
		}
		return p[5:], parsePriority(p), true
	}
	return p, Priority{}, false
}

// Priority returns the priority a PRIORITY frame carries.
func (f Frame) Priority() Priority {
	if f.Type != TypePriority || len(f.Payload) < 5 {
		return Priority{}
	}
	return parsePriority(f.Payload)
}

// RSTCode returns the error code of a RST_STREAM frame.
func (f Frame) RSTCode() ErrCode {
	if f.Type != TypeRSTStream || len(f.Payload) < 4 {
		return 0
	}
	return ErrCode(binary.BigEndian.Uint32(f.Payload))
}

// NumSettings returns the number of parameters in a SETTINGS frame (0 for
// an acknowledgement).
func (f Frame) NumSettings() int {
	if f.Type != TypeSettings {
		return 0
	}
	return len(f.Payload) / 6
}

// Setting returns the i-th parameter of a SETTINGS frame, 0 <= i <
// NumSettings(); it panics if i is out of range, as an index does.
func (f Frame) Setting(i int) Setting {
	if i < 0 || i >= f.NumSettings() {
		panic("h2frame: Setting index out of range")
	}
	b := f.Payload[i*6 : i*6+6]
	return Setting{ID: SettingID(binary.BigEndian.Uint16(b)), Val: binary.BigEndian.Uint32(b[2:])}
}

// Settings calls fn with each parameter of a SETTINGS frame, in order, and
// stops at and returns the first error fn returns. Parameters that appear
// twice are passed twice; the last one wins (RFC 9113 section 6.5.3).
func (f Frame) Settings(fn func(s Setting) error) error {
	for i := 0; i < f.NumSettings(); i++ {
		if err := fn(f.Setting(i)); err != nil {
			return err
		}
	}
	return nil
}

// PingData returns the 8 bytes of a PING frame, which its acknowledgement
// echoes.
func (f Frame) PingData() (data [8]byte) {
	if f.Type == TypePing && len(f.Payload) >= 8 {
		copy(data[:], f.Payload)
	}
	return data
}

// GoAway returns the fields of a GOAWAY frame: the last stream the sender
// may have processed, the error code, and the additional debug data.
func (f Frame) GoAway() (lastStream uint32, code ErrCode, debug []byte) {
	if f.Type != TypeGoAway || len(f.Payload) < 8 {
		return 0, 0, nil
	}
	p := f.Payload
	return binary.BigEndian.Uint32(p) & MaxStreamID, ErrCode(binary.BigEndian.Uint32(p[4:])), p[8:]
}

// WindowIncrement returns the increment of a WINDOW_UPDATE frame, 31 bits.
// Parse refuses an increment of 0: a *StreamError on a stream, a
// *ConnError on stream 0 (RFC 9113 section 6.9).
func (f Frame) WindowIncrement() uint32 {
	if f.Type != TypeWindowUpdate || len(f.Payload) < 4 {
		return 0
	}
	return binary.BigEndian.Uint32(f.Payload) & MaxWindowSize
}

// PushPromise returns the fields of a PUSH_PROMISE frame: the promised
// stream and the field block fragment, padding removed. A server parses it
// only to refuse it: a client must not send PUSH_PROMISE, a connection error
// PROTOCOL_ERROR (RFC 9113 section 8.4).
func (f Frame) PushPromise() (promised uint32, block []byte) {
	if f.Type != TypePushPromise {
		return 0, nil
	}
	p, ok := f.unpad()
	if !ok || len(p) < 4 {
		return 0, nil
	}
	return binary.BigEndian.Uint32(p) & MaxStreamID, p[4:]
}
