// Package frame is Workerman's Frame protocol, scheme "frame": each message is
// a 4-byte big-endian unsigned length followed by the payload, where the
// length counts the 4 header bytes too. A 5-byte payload "hello" is sent as
// 00 00 00 09 'h' 'e' 'l' 'l' 'o'; an empty payload is 00 00 00 04.
//
// Payloads are opaque bytes: any byte value, including zero, may appear. The
// protocol has no message types, flags, checksums or keep-alives, and a
// length below 4 is an error, not a control frame.
//
// The size limit, Limits.MaxPackageSize, applies to the payload, so a frame
// may be at most MaxPackageSize+4 bytes on the wire. A MaxPackageSize of zero
// or less means no limit was configured, and the default of 10 MiB applies.
// A frame that announces a larger payload is rejected as soon as its header
// arrives, and the codec never allocates memory for a payload before all of
// it has arrived. Encode does not apply the limit: it is the receiver's.
package frame

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/workerman-go/workerman/protocols"
)

// Scheme is the address scheme of the protocol.
const Scheme = "frame"

// HeaderSize is the length of the header that starts every frame, in bytes.
const HeaderSize = 4

// defaultMaxPackageSize is the limit used when Limits.MaxPackageSize <= 0:
// 10 MiB, Workerman's default maxPackageSize.
const defaultMaxPackageSize = 10 << 20

// Protocol returns the frame protocol. The value is stateless and safe for
// concurrent use.
func Protocol() protocols.Protocol[[]byte] { return protocol{} }

type protocol struct{}

func (protocol) Scheme() string { return Scheme }

// NewCodec returns a codec that limits payloads to limits.MaxPackageSize
// bytes, or to the 10 MiB default when it is zero or less.
func (protocol) NewCodec(limits protocols.Limits) protocols.Codec[[]byte] {
	limit := limits.MaxPackageSize
	if limit <= 0 {
		limit = defaultMaxPackageSize
	}
	return &codec{max: uint64(limit)}
}

type codec struct {
	max uint64 // largest payload accepted, in bytes
}

// Decode returns the payload of the first frame in in, as a new slice that is
// safe to keep (empty, not nil, for an empty payload), and consumes the whole
// frame. It needs more bytes (n == 0) until the header and then the whole
// payload have arrived. A length below 4 is an error, and so is a payload
// longer than MaxPackageSize, which wraps protocols.ErrPackageTooLarge.
func (c *codec) Decode(in []byte) ([]byte, int, bool, error) {
	if len(in) < HeaderSize {
		return nil, 0, false, nil
	}
	length := binary.BigEndian.Uint32(in)
	if length < HeaderSize {
		return nil, 0, false, fmt.Errorf("frame: length %d is below the %d-byte header", length, HeaderSize)
	}
	if payload := uint64(length) - HeaderSize; payload > c.max {
		return nil, 0, false, fmt.Errorf("frame: announced payload of %d bytes exceeds MaxPackageSize %d: %w",
			payload, c.max, protocols.ErrPackageTooLarge)
	}
	// Compare in uint64: on a 32-bit platform, with max near math.MaxInt,
	// length may not fit in an int. Such a frame is never complete, since
	// len(in) is an int, so the conversion below is safe.
	if uint64(len(in)) < uint64(length) {
		return nil, 0, false, nil
	}
	n := int(length)
	msg := make([]byte, n-HeaderSize)
	copy(msg, in[HeaderSize:n])
	return msg, n, false, nil
}

// Encode appends a frame holding msg, a string or a []byte, to dst. A payload
// longer than math.MaxUint32-4 bytes cannot be framed and is an error.
func (c *codec) Encode(dst []byte, msg any) ([]byte, error) {
	switch m := msg.(type) {
	case []byte:
		length, err := frameLength(len(m))
		if err != nil {
			return dst, err
		}
		return append(binary.BigEndian.AppendUint32(dst, length), m...), nil
	case string:
		length, err := frameLength(len(m))
		if err != nil {
			return dst, err
		}
		return append(binary.BigEndian.AppendUint32(dst, length), m...), nil
	default:
		return dst, fmt.Errorf("frame: cannot encode %T: %w", msg, protocols.ErrUnsupportedMessage)
	}
}

// frameLength returns the header value for a payload of size bytes.
func frameLength(size int) (uint32, error) {
	if uint64(size) > math.MaxUint32-HeaderSize {
		return 0, fmt.Errorf("frame: payload of %d bytes does not fit in a frame (at most %d)",
			size, uint64(math.MaxUint32-HeaderSize))
	}
	return uint32(size) + HeaderSize, nil
}
