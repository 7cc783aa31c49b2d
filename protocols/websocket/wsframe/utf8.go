package wsframe

import "unicode/utf8"

// utf8State validates UTF-8 text that arrives in pieces, failing as soon as
// the bytes seen so far cannot begin valid UTF-8, even when the offending
// sequence is not complete yet (RFC 6455 section 8.1 allows failing fast).
// The bulk of each piece goes through utf8.Valid, which checks 8 ASCII bytes
// at a time; only a sequence split between pieces (at most 3 bytes) is
// carried over. The zero value expects the start of a text.
type utf8State struct {
	pend [4]byte // a partial sequence held over from the last piece
	n    uint8   // its length: 0 to 3
}

// seqLen returns the length of the sequence that starts with c: 2 to 4 for
// the lead bytes C0-F7, 1 for everything else (ASCII, and bytes that cannot
// start a sequence, which utf8.Valid rejects on its own).
func seqLen(c byte) int {
	switch {
	case c < 0xC0:
		return 1
	case c < 0xE0:
		return 2
	case c < 0xF0:
		return 3
	case c < 0xF8:
		return 4
	}
	return 1
}

// validPrefix reports whether b, 1 to 3 bytes starting with a lead byte and
// shorter than the sequence it announces, can still become a valid
// character: it rejects the leads that only start overlong encodings (C0, C1)
// or code points past U+10FFFF (F5-F7), and second bytes that make the
// sequence overlong (E0 80-9F, F0 80-8F), a surrogate (ED A0-BF) or too large
// (F4 90-BF).
func validPrefix(b []byte) bool {
	c := b[0]
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c < 0xC2:
		return false
	case c < 0xE0:
	case c == 0xE0:
		lo = 0xA0
	case c == 0xED:
		hi = 0x9F
	case c < 0xF0:
	case c == 0xF0:
		lo = 0x90
	case c < 0xF4:
	case c == 0xF4:
		hi = 0x8F
	default:
		return false
	}
	if len(b) > 1 && (b[1] < lo || b[1] > hi) {
		return false
	}
	if len(b) > 2 && (b[2] < 0x80 || b[2] > 0xBF) {
		return false
	}
	return true
}

// write validates the next piece of the text and reports whether everything
// seen so far can still be valid UTF-8.
func (s *utf8State) write(p []byte) bool {
	if s.n > 0 {
		need := seqLen(s.pend[0]) - int(s.n)
		k := copy(s.pend[s.n:need+int(s.n)], p)
		s.n += uint8(k)
		p = p[k:]
		if k < need {
			return validPrefix(s.pend[:s.n])
		}
		if !utf8.Valid(s.pend[:s.n]) {
			return false
		}
		s.n = 0
	}
	// Hold back a sequence cut by the end of p: look for its lead byte
	// among the last 3 bytes.
	cut := len(p)
	for i := len(p) - 1; i >= 0 && i >= len(p)-3; i-- {
		c := p[i]
		if c < 0x80 {
			break
		}
		if c >= 0xC0 {
			if i+seqLen(c) > len(p) {
				cut = i
			}
			break
		}
	}
	if !utf8.Valid(p[:cut]) {
		return false
	}
	if cut < len(p) {
		if !validPrefix(p[cut:]) {
			return false
		}
		s.n = uint8(copy(s.pend[:], p[cut:]))
	}
	return true
}

// complete reports whether the text seen so far does not end inside a
// character: at the end of a message, it is then valid.
func (s *utf8State) complete() bool { return s.n == 0 }
