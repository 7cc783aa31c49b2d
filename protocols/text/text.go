// Package text is Workerman's Text protocol, scheme "text": each message is
// one line terminated by "\n".
//
// Decode delivers a line without its "\n" and without one "\r" immediately
// before it, so peers that end lines with "\r\n" (telnet, most line-oriented
// tools) are understood too. A "\r" anywhere else is part of the message, and
// so is every other byte: the protocol does not check that a line is valid
// UTF-8, and an empty line is an empty message, not a keep-alive.
//
// Encode appends "\n" to every message, as Workerman does, and nothing else:
// it does not escape or reject a "\n" inside a message, so such a message
// reaches the peer as several lines. A message that itself ends in "\r" loses
// that "\r" when decoded, because it then looks like a "\r\n" line ending.
// Text is not a way to carry arbitrary bytes; use the frame protocol for that.
//
// The size limit, Limits.MaxPackageSize, applies to the decoded message, that
// is the line without its terminator. A MaxPackageSize of zero or less means no
// limit was configured, and the default of 10 MiB applies.
package text

import (
	"bytes"
	"fmt"
	"math"

	"github.com/workerman-go/workerman/protocols"
)

// Scheme is the address scheme of the protocol.
const Scheme = "text"

// defaultMaxPackageSize is the limit used when Limits.MaxPackageSize <= 0:
// 10 MiB, Workerman's default maxPackageSize.
const defaultMaxPackageSize = 10 << 20

// Protocol returns the text protocol. The value is stateless and safe for
// concurrent use; each connection's state is in the codec it creates.
func Protocol() protocols.Protocol[string] { return protocol{} }

type protocol struct{}

func (protocol) Scheme() string { return Scheme }

// NewCodec returns a codec that enforces limits.MaxPackageSize, or the 10 MiB
// default when it is zero or less.
func (protocol) NewCodec(limits protocols.Limits) protocols.Codec[string] {
	limit := limits.MaxPackageSize
	if limit <= 0 {
		limit = defaultMaxPackageSize
	}
	// The longest acceptable line is limit bytes, "\r", "\n": a '\n' further
	// into the buffer than that can only end a line that is too long, so the
	// codec never searches further.
	window := math.MaxInt
	if limit < math.MaxInt-2 {
		window = limit + 2
	}
	return &codec{max: limit, window: window}
}

type codec struct {
	max    int // largest message accepted, in bytes
	window int // how far into the buffer a terminating '\n' can be
	// scanned counts the bytes at the front of the buffer already searched
	// without finding '\n'. The framework calls Decode again with the same
	// bytes and more appended, so the search resumes there: a long line that
	// arrives in many reads is searched once, not once per read. It goes back
	// to zero when a line is consumed.
	scanned int
}

// Decode returns the first line of in as a new string (safe to keep) and
// consumes it with its terminator. It needs more bytes (n == 0) while in holds
// no '\n' and no more than MaxPackageSize bytes of message. A line longer than
// MaxPackageSize is an error wrapping protocols.ErrPackageTooLarge, reported as
// soon as the buffered bytes prove it, without waiting for its '\n'.
func (c *codec) Decode(in []byte) (string, int, bool, error) {
	start := c.scanned
	if start > len(in) {
		// Not the buffer the offset was recorded for; search it all.
		start = 0
	}
	end := min(len(in), c.window)
	if start < end {
		if i := bytes.IndexByte(in[start:end], '\n'); i >= 0 {
			i += start
			c.scanned = 0
			line := in[:i]
			if i > 0 && line[i-1] == '\r' {
				line = line[:i-1]
			}
			if len(line) > c.max {
				return "", 0, false, fmt.Errorf("text: line of %d bytes exceeds MaxPackageSize %d: %w",
					len(line), c.max, protocols.ErrPackageTooLarge)
			}
			return string(line), i + 1, false, nil
		}
	}
	c.scanned = end
	// No '\n' in in[:end]. The message is at least end bytes long, less a
	// final '\r' that may be the start of "\r\n".
	least := end
	if end > 0 && in[end-1] == '\r' {
		least--
	}
	if least > c.max {
		return "", 0, false, fmt.Errorf("text: unterminated line of at least %d bytes exceeds MaxPackageSize %d: %w",
			least, c.max, protocols.ErrPackageTooLarge)
	}
	return "", 0, false, nil
}

// Encode appends msg, a string or a []byte, and "\n" to dst. It always
// appends the "\n", even when msg already ends with one, as Workerman does.
func (c *codec) Encode(dst []byte, msg any) ([]byte, error) {
	switch m := msg.(type) {
	case string:
		dst = append(dst, m...)
	case []byte:
		dst = append(dst, m...)
	default:
		return dst, fmt.Errorf("text: cannot encode %T: %w", msg, protocols.ErrUnsupportedMessage)
	}
	return append(dst, '\n'), nil
}
