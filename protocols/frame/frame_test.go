package frame_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/protocols/frame"
)

// defaultMax mirrors the package's fallback for MaxPackageSize <= 0.
const defaultMax = 10 << 20

func newCodec(limit int) protocols.Codec[[]byte] {
	return frame.Protocol().NewCodec(protocols.Limits{MaxPackageSize: limit})
}

func effectiveLimit(limit int) int {
	if limit <= 0 {
		return defaultMax
	}
	return limit
}

// hdr returns a frame header announcing length.
func hdr(length uint32) string {
	return string(binary.BigEndian.AppendUint32(nil, length))
}

// fr returns the frame holding payload.
func fr(payload string) string { return hdr(uint32(len(payload)+4)) + payload }

// checked wraps a codec and verifies the contract on every Decode call.
type checked struct {
	t     testing.TB
	c     protocols.Codec[[]byte]
	limit int
}

func (k checked) Decode(in []byte) ([]byte, int, bool, error) {
	k.t.Helper()
	msg, n, skip, err := k.c.Decode(in)
	checkResult(k.t, in, k.limit, msg, n, skip, err)
	return msg, n, skip, err
}

func (k checked) Encode(dst []byte, msg any) ([]byte, error) { return k.c.Encode(dst, msg) }

// checkResult verifies one Decode result against the protocol's definition.
func checkResult(t testing.TB, in []byte, limit int, msg []byte, n int, skip bool, err error) {
	t.Helper()
	max := uint64(effectiveLimit(limit))
	if skip {
		t.Fatalf("Decode(%q): skip is true; frame has no control messages", in)
	}
	switch {
	case err != nil:
		if n != 0 || msg != nil {
			t.Fatalf("Decode(%q): error %v with n=%d msg=%q", in, err, n, msg)
		}
		if len(in) < 4 {
			t.Fatalf("Decode(%q): error %v before a whole header", in, err)
		}
		length := uint64(binary.BigEndian.Uint32(in))
		if tooLarge := errors.Is(err, protocols.ErrPackageTooLarge); tooLarge != (length >= 4 && length-4 > max) {
			t.Fatalf("Decode(%q): error %v for length %d and limit %d", in, err, length, max)
		}
		if length >= 4 && length-4 <= max {
			t.Fatalf("Decode(%q): error %v for a valid length %d", in, err, length)
		}
	case n == 0:
		if msg != nil {
			t.Fatalf("Decode(%q): need more, but msg=%q", in, msg)
		}
		if len(in) >= 4 && int(binary.BigEndian.Uint32(in)) <= len(in) {
			t.Fatalf("Decode(%q): need more, but the frame is complete", in)
		}
	default:
		if n < 4 || n > len(in) {
			t.Fatalf("Decode(%q): n=%d outside [4, %d]", in, n, len(in))
		}
		if length := binary.BigEndian.Uint32(in); uint64(n) != uint64(length) {
			t.Fatalf("Decode(%q): n=%d, header says %d", in, n, length)
		}
		if msg == nil || !bytes.Equal(msg, in[4:n]) {
			t.Fatalf("Decode(%q): msg=%q, want %q", in, msg, in[4:n])
		}
		// The only allocation is the copy of the payload, which exists.
		if cap(msg) != len(msg) {
			t.Fatalf("Decode(%q): msg has cap %d for %d bytes", in, cap(msg), len(msg))
		}
		if uint64(len(msg)) > max {
			t.Fatalf("Decode(%q): msg of %d bytes over the limit %d", in, len(msg), max)
		}
		if len(msg) > 0 && &msg[0] == &in[4] {
			t.Fatalf("Decode(%q): msg aliases the input", in)
		}
	}
}

type result struct {
	msgs []string
	rest []byte // bytes left unconsumed
	err  error
}

// drive mimics the framework: it appends each chunk to a connection buffer,
// calls Decode until it needs more bytes, and drops the consumed bytes by
// moving the rest to the front and overwriting what is left behind.
func drive(t testing.TB, limit int, chunks ...[]byte) result {
	t.Helper()
	c := checked{t: t, c: newCodec(limit), limit: limit}
	var r result
	var buf []byte
	var kept [][]byte // decoded messages, checked after the buffer changed
	for _, chunk := range chunks {
		buf = append(buf, chunk...)
		for {
			msg, n, skip, err := c.Decode(buf)
			if err != nil {
				r.err = err
				r.rest = buf
				return r
			}
			if n == 0 {
				break
			}
			if !skip {
				kept = append(kept, msg)
				r.msgs = append(r.msgs, string(msg))
			}
			left := copy(buf, buf[n:])
			for i := left; i < len(buf); i++ {
				buf[i] = 0xA5
			}
			buf = buf[:left]
		}
	}
	for i, m := range kept {
		if string(m) != r.msgs[i] {
			t.Fatalf("message %d changed with the buffer: %q, was %q", i, m, r.msgs[i])
		}
	}
	r.rest = buf
	return r
}

// splits returns the ways to deliver stream used by the split tests: every
// split into two chunks, and one byte at a time.
func splits(stream []byte) [][][]byte {
	var out [][][]byte
	for i := 0; i <= len(stream); i++ {
		out = append(out, [][]byte{stream[:i], stream[i:]})
	}
	bytewise := make([][]byte, len(stream))
	for i := range stream {
		bytewise[i] = stream[i : i+1]
	}
	return append(out, bytewise)
}

type decodeCase struct {
	name     string
	in       string
	limit    int
	want     []string
	rest     string
	tooLarge bool   // the error wraps ErrPackageTooLarge
	err      string // the error starts with this
}

var decodeCases = []decodeCase{
	{name: "empty input", in: ""},
	{name: "partial header", in: "\x00\x00\x00", rest: "\x00\x00\x00"},
	{name: "single", in: fr("hello"), want: []string{"hello"}},
	{name: "empty payload", in: hdr(4), want: []string{""}},
	{name: "several", in: fr("a") + fr("") + fr("ccc"), want: []string{"a", "", "ccc"}},
	{name: "header only", in: hdr(9), rest: hdr(9)},
	{name: "partial payload", in: fr("hello")[:7], rest: fr("hello")[:7]},
	{name: "message then partial", in: fr("one") + fr("two")[:5], want: []string{"one"}, rest: fr("two")[:5]},
	{name: "binary", in: fr("\x00\x00\x00\x00") + fr("\xff\x00\n\r"), want: []string{"\x00\x00\x00\x00", "\xff\x00\n\r"}},
	{name: "payload looks like a header", in: fr(hdr(0)), want: []string{hdr(0)}},
	{name: "length 0", in: hdr(0), err: "frame: length 0 is below the 4-byte header"},
	{name: "length 1", in: hdr(1) + "x", err: "frame: length 1 is below the 4-byte header"},
	{name: "length 2", in: hdr(2), err: "frame: length 2 is below the 4-byte header"},
	{name: "length 3", in: hdr(3), err: "frame: length 3 is below the 4-byte header"},
	{name: "good then length 0", in: fr("ok") + hdr(0), want: []string{"ok"}, err: "frame: length 0 "},
	{name: "limit exact", in: fr("12345678"), limit: 8, want: []string{"12345678"}},
	{name: "limit exact header only", in: hdr(12), limit: 8, rest: hdr(12)},
	{name: "over by one", in: fr("123456789"), limit: 8, tooLarge: true,
		err: "frame: announced payload of 9 bytes exceeds MaxPackageSize 8: "},
	{name: "over by one header only", in: hdr(13), limit: 8, tooLarge: true},
	{name: "good then over", in: fr("ok") + hdr(13), limit: 8, want: []string{"ok"}, tooLarge: true},
	{name: "huge announced", in: hdr(math.MaxUint32), tooLarge: true,
		err: "frame: announced payload of 4294967291 bytes exceeds MaxPackageSize 10485760: "},
	{name: "default limit exact header only", in: hdr(defaultMax + 4), rest: hdr(defaultMax + 4)},
	{name: "default limit over header only", in: hdr(defaultMax + 5), tooLarge: true},
	{name: "negative limit is default", in: hdr(defaultMax+5) + "x", limit: -1, tooLarge: true},
	{name: "limit 1", in: fr("a") + fr(""), limit: 1, want: []string{"a", ""}},
	{name: "limit 1 over", in: fr("ab"), limit: 1, tooLarge: true},
}

func checkCase(t *testing.T, tc decodeCase, chunks [][]byte) {
	t.Helper()
	r := drive(t, tc.limit, chunks...)
	if len(r.msgs) != len(tc.want) || (len(tc.want) > 0 && strings.Join(r.msgs, "|") != strings.Join(tc.want, "|")) {
		t.Fatalf("chunks %q: messages = %q, want %q", chunks, r.msgs, tc.want)
	}
	if tc.tooLarge || tc.err != "" {
		if r.err == nil {
			t.Fatalf("chunks %q: no error, want %q", chunks, tc.err)
		}
		if errors.Is(r.err, protocols.ErrPackageTooLarge) != tc.tooLarge {
			t.Fatalf("chunks %q: err = %v; wraps ErrPackageTooLarge: want %v", chunks, r.err, tc.tooLarge)
		}
		if !strings.HasPrefix(r.err.Error(), tc.err) {
			t.Fatalf("chunks %q: err = %q, want %q...", chunks, r.err, tc.err)
		}
		return
	}
	if r.err != nil || string(r.rest) != tc.rest {
		t.Fatalf("chunks %q: err = %v, rest = %q; want nil, %q", chunks, r.err, r.rest, tc.rest)
	}
}

func TestDecode(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			checkCase(t, tc, [][]byte{[]byte(tc.in)})
		})
	}
}

// TestDecodeSplit feeds every table case, and a longer stream, in every
// two-chunk split and one byte at a time, and expects the same outcome as
// when it arrives at once.
func TestDecodeSplit(t *testing.T) {
	cases := append(decodeCases[:len(decodeCases):len(decodeCases)], decodeCase{
		name:  "stream",
		in:    fr("hello") + fr("") + fr("\x00\x00\x00\x04") + fr("12345678") + fr("\n") + fr("tail")[:6],
		limit: 8,
		want:  []string{"hello", "", "\x00\x00\x00\x04", "12345678", "\n"},
		rest:  fr("tail")[:6],
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunks := range splits([]byte(tc.in)) {
				checkCase(t, tc, chunks)
			}
		})
	}
}

func TestDecodeResult(t *testing.T) {
	c := newCodec(0)
	in := []byte(fr("ab") + fr("cd"))
	msg, n, skip, err := c.Decode(in)
	if string(msg) != "ab" || n != 6 || skip || err != nil {
		t.Fatalf("Decode = (%q, %d, %v, %v), want (\"ab\", 6, false, nil)", msg, n, skip, err)
	}
	copy(in, "XXXXXX")
	if string(msg) != "ab" {
		t.Fatalf("message changed with the buffer: %q", msg)
	}
	msg, _, _, _ = c.Decode([]byte(hdr(4)))
	if msg == nil || len(msg) != 0 {
		t.Fatalf("empty payload = %#v, want empty and not nil", msg)
	}
}

// TestDecodeAnnouncedLengthNotAllocated checks that a header announcing a
// large payload, within the limit, costs no allocation while the payload is
// missing: the codec waits for the bytes before it allocates.
func TestDecodeAnnouncedLengthNotAllocated(t *testing.T) {
	c := newCodec(math.MaxInt)
	// The largest payload both the header and the limit allow: on a 32-bit
	// platform the frame is then longer than math.MaxInt.
	payload := uint64(math.MaxUint32 - 4)
	if uint64(math.MaxInt) < payload {
		payload = math.MaxInt
	}
	in := []byte(hdr(uint32(payload+4)) + "some of the payload")
	allocs := testing.AllocsPerRun(100, func() {
		if _, n, _, err := c.Decode(in); n != 0 || err != nil {
			t.Fatalf("n=%d err=%v, want need more", n, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("need-more Decode allocates %v times", allocs)
	}
}

func TestEncode(t *testing.T) {
	tests := []struct {
		name string
		dst  string
		msg  any
		want string
	}{
		{name: "string", msg: "hello", want: "\x00\x00\x00\x09hello"},
		{name: "bytes", msg: []byte("hello"), want: "\x00\x00\x00\x09hello"},
		{name: "empty string", msg: "", want: "\x00\x00\x00\x04"},
		{name: "nil bytes", msg: []byte(nil), want: "\x00\x00\x00\x04"},
		{name: "binary", msg: []byte{0, 0, 0, 0}, want: "\x00\x00\x00\x08\x00\x00\x00\x00"},
		{name: "appends to dst", dst: "x", msg: "y", want: "x\x00\x00\x00\x05y"},
		{name: "300 bytes", msg: strings.Repeat("z", 300), want: "\x00\x00\x01\x30" + strings.Repeat("z", 300)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := newCodec(0).Encode([]byte(tc.dst), tc.msg)
			if err != nil || string(got) != tc.want {
				t.Fatalf("Encode = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestEncodeUnsupported(t *testing.T) {
	for _, msg := range []any{42, nil, struct{}{}, []rune("r"), new([]byte), 'c'} {
		dst := []byte("kept")
		got, err := newCodec(0).Encode(dst, msg)
		if !errors.Is(err, protocols.ErrUnsupportedMessage) {
			t.Errorf("Encode(%T): err = %v, want ErrUnsupportedMessage", msg, err)
			continue
		}
		if string(got) != "kept" {
			t.Errorf("Encode(%T) changed dst to %q", msg, got)
		}
	}
	_, err := newCodec(0).Encode(nil, 42)
	if want := "frame: cannot encode int: unsupported message type"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestProtocol(t *testing.T) {
	if s := frame.Protocol().Scheme(); s != "frame" || frame.Scheme != "frame" {
		t.Fatalf("Scheme() = %q", s)
	}
	if frame.HeaderSize != 4 {
		t.Fatalf("HeaderSize = %d", frame.HeaderSize)
	}
	a, b := newCodec(8), newCodec(8)
	a.Decode([]byte(hdr(9)))
	if _, n, _, err := b.Decode([]byte(fr("x"))); n != 5 || err != nil {
		t.Fatalf("codecs share state: n=%d err=%v", n, err)
	}
}
