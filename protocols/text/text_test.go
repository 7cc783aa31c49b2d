package text_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/protocols/text"
)

// defaultMax mirrors the package's fallback for MaxPackageSize <= 0.
const defaultMax = 10 << 20

func newCodec(limit int) protocols.Codec[string] {
	return text.Protocol().NewCodec(protocols.Limits{MaxPackageSize: limit})
}

func effectiveLimit(limit int) int {
	if limit <= 0 {
		return defaultMax
	}
	return limit
}

// checked wraps a codec and verifies the contract on every Decode call. It
// also decodes the same input with a fresh codec, which has no remembered
// search offset, and requires the same answer.
type checked struct {
	t     testing.TB
	c     protocols.Codec[string]
	limit int
}

func (k checked) Decode(in []byte) (string, int, bool, error) {
	k.t.Helper()
	msg, n, skip, err := k.c.Decode(in)
	checkResult(k.t, in, k.limit, msg, n, skip, err)
	fmsg, fn, _, ferr := newCodec(k.limit).Decode(in)
	if fmsg != msg || fn != n || (ferr == nil) != (err == nil) {
		k.t.Fatalf("Decode(%q): codec returned (%q, %d, %v), a fresh codec (%q, %d, %v)",
			in, msg, n, err, fmsg, fn, ferr)
	}
	return msg, n, skip, err
}

func (k checked) Encode(dst []byte, msg any) ([]byte, error) { return k.c.Encode(dst, msg) }

// checkResult verifies one Decode result against the protocol's definition.
func checkResult(t testing.TB, in []byte, limit int, msg string, n int, skip bool, err error) {
	t.Helper()
	max := effectiveLimit(limit)
	if skip {
		t.Fatalf("Decode(%q): skip is true; text has no control messages", in)
	}
	switch {
	case err != nil:
		if n != 0 || msg != "" {
			t.Fatalf("Decode(%q): error %v with n=%d msg=%q", in, err, n, msg)
		}
		if !errors.Is(err, protocols.ErrPackageTooLarge) {
			t.Fatalf("Decode(%q): error %v does not wrap ErrPackageTooLarge", in, err)
		}
	case n == 0:
		if msg != "" {
			t.Fatalf("Decode(%q): need more, but msg=%q", in, msg)
		}
		if i := bytes.IndexByte(in, '\n'); i >= 0 && i <= max+1 {
			t.Fatalf("Decode(%q): need more, but a line ends at %d", in, i)
		}
	default:
		if n < 0 || n > len(in) {
			t.Fatalf("Decode(%q): n=%d outside [0, %d]", in, n, len(in))
		}
		if in[n-1] != '\n' || bytes.IndexByte(in[:n-1], '\n') >= 0 {
			t.Fatalf("Decode(%q): n=%d is not the end of the first line", in, n)
		}
		if want := strings.TrimSuffix(string(in[:n-1]), "\r"); msg != want {
			t.Fatalf("Decode(%q): msg=%q, want %q", in, msg, want)
		}
		if len(msg) > max {
			t.Fatalf("Decode(%q): msg of %d bytes over the limit %d", in, len(msg), max)
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
				r.msgs = append(r.msgs, msg)
			}
			kept := copy(buf, buf[n:])
			for i := kept; i < len(buf); i++ {
				buf[i] = 0xA5
			}
			buf = buf[:kept]
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
	tooLarge bool
}

var decodeCases = []decodeCase{
	{name: "empty input", in: ""},
	{name: "single", in: "hello\n", want: []string{"hello"}},
	{name: "several", in: "a\nbb\nccc\n", want: []string{"a", "bb", "ccc"}},
	{name: "partial", in: "hel", rest: "hel"},
	{name: "message then partial", in: "one\ntw", want: []string{"one"}, rest: "tw"},
	{name: "empty lines", in: "\n\n\n", want: []string{"", "", ""}},
	{name: "empty crlf line", in: "\r\n", want: []string{""}},
	{name: "crlf", in: "a\r\nb\r\n", want: []string{"a", "b"}},
	{name: "lf crlf mixed", in: "a\nb\r\nc\n", want: []string{"a", "b", "c"}},
	{name: "lone cr kept", in: "a\rb\n", want: []string{"a\rb"}},
	{name: "leading cr kept", in: "\ra\n", want: []string{"\ra"}},
	{name: "only one cr stripped", in: "a\r\r\n", want: []string{"a\r"}},
	{name: "cr at end waits", in: "abc\r", rest: "abc\r"},
	{name: "lone cr then line", in: "\r\rx\n", want: []string{"\r\rx"}},
	{name: "binary", in: "\x00a\x00\xff\n\x00\n", want: []string{"\x00a\x00\xff", "\x00"}},
	{name: "invalid utf-8", in: "\xc3\x28\xfe\n", want: []string{"\xc3\x28\xfe"}},
	{name: "limit exact", in: "12345678\n", limit: 8, want: []string{"12345678"}},
	{name: "limit exact crlf", in: "12345678\r\n", limit: 8, want: []string{"12345678"}},
	{name: "limit exact unterminated", in: "12345678", limit: 8, rest: "12345678"},
	{name: "limit exact unterminated cr", in: "12345678\r", limit: 8, rest: "12345678\r"},
	{name: "limit exact twice", in: "12345678\n87654321\r\n", limit: 8, want: []string{"12345678", "87654321"}},
	{name: "over by one", in: "123456789\n", limit: 8, tooLarge: true},
	{name: "over by one crlf", in: "123456789\r\n", limit: 8, tooLarge: true},
	{name: "over by one unterminated", in: "123456789", limit: 8, tooLarge: true},
	{name: "over by one unterminated cr", in: "123456789\r", limit: 8, tooLarge: true},
	{name: "over by a kept cr", in: "12345678\r\r\n", limit: 8, tooLarge: true},
	{name: "over, cr not before lf", in: "12345678\rx", limit: 8, tooLarge: true},
	{name: "good then too long", in: "ok\n123456789\nok\n", limit: 8, want: []string{"ok"}, tooLarge: true},
	{name: "far newline", in: strings.Repeat("x", 100) + "\n", limit: 8, tooLarge: true},
	{name: "limit 1", in: "a\n\nb\r\n", limit: 1, want: []string{"a", "", "b"}},
	{name: "limit 1 over", in: "ab", limit: 1, tooLarge: true},
	{name: "negative limit is default", in: "x\n", limit: -1, want: []string{"x"}},
}

func TestDecode(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			r := drive(t, tc.limit, []byte(tc.in))
			if !slices.Equal(r.msgs, tc.want) {
				t.Errorf("messages = %q, want %q", r.msgs, tc.want)
			}
			if tc.tooLarge {
				if !errors.Is(r.err, protocols.ErrPackageTooLarge) {
					t.Errorf("err = %v, want ErrPackageTooLarge", r.err)
				}
				return
			}
			if r.err != nil {
				t.Errorf("err = %v", r.err)
			}
			if string(r.rest) != tc.rest {
				t.Errorf("rest = %q, want %q", r.rest, tc.rest)
			}
		})
	}
}

// TestDecodeSplit feeds every table case, and a longer stream, in every
// two-chunk split and one byte at a time, and expects the same outcome as
// when it arrives at once.
func TestDecodeSplit(t *testing.T) {
	cases := append(slices.Clone(decodeCases), decodeCase{
		name:  "stream",
		in:    "hello\r\n\nworld\na\rb\n\x00\x01\n12345678\r\n\r\r\ntail",
		limit: 8,
		want:  []string{"hello", "", "world", "a\rb", "\x00\x01", "12345678", "\r"},
		rest:  "tail",
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunks := range splits([]byte(tc.in)) {
				r := drive(t, tc.limit, chunks...)
				if !slices.Equal(r.msgs, tc.want) {
					t.Fatalf("chunks %q: messages = %q, want %q", chunks, r.msgs, tc.want)
				}
				if tc.tooLarge {
					if !errors.Is(r.err, protocols.ErrPackageTooLarge) {
						t.Fatalf("chunks %q: err = %v, want ErrPackageTooLarge", chunks, r.err)
					}
					continue
				}
				if r.err != nil || string(r.rest) != tc.rest {
					t.Fatalf("chunks %q: err = %v, rest = %q, want nil, %q", chunks, r.err, r.rest, tc.rest)
				}
			}
		})
	}
}

func TestDecodeResult(t *testing.T) {
	c := newCodec(0)
	msg, n, skip, err := c.Decode([]byte("ab\r\ncd\n"))
	if msg != "ab" || n != 4 || skip || err != nil {
		t.Fatalf("Decode = (%q, %d, %v, %v), want (\"ab\", 4, false, nil)", msg, n, skip, err)
	}
	msg, n, skip, err = c.Decode([]byte("cd\n"))
	if msg != "cd" || n != 3 || skip || err != nil {
		t.Fatalf("Decode = (%q, %d, %v, %v), want (\"cd\", 3, false, nil)", msg, n, skip, err)
	}
}

func TestDecodeCopies(t *testing.T) {
	in := []byte("keep\n")
	msg, _, _, _ := newCodec(0).Decode(in)
	copy(in, "XXXX")
	if msg != "keep" {
		t.Fatalf("message changed with the buffer: %q", msg)
	}
}

// TestDecodeDefaultLimit checks the 10 MiB fallback at its boundary and the
// wording of the errors.
func TestDecodeDefaultLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates tens of MiB")
	}
	line := bytes.Repeat([]byte("x"), defaultMax+1)
	for _, limit := range []int{0, -5} {
		c := newCodec(limit)
		in := append(line[:defaultMax:defaultMax], '\n')
		msg, n, _, err := c.Decode(in)
		if err != nil || n != defaultMax+1 || len(msg) != defaultMax {
			t.Fatalf("limit %d: line of exactly the default: n=%d len=%d err=%v", limit, n, len(msg), err)
		}

		_, n, _, err = newCodec(limit).Decode(line[:defaultMax])
		if err != nil || n != 0 {
			t.Fatalf("limit %d: unterminated line at the default: n=%d err=%v, want need more", limit, n, err)
		}

		_, _, _, err = newCodec(limit).Decode(append(slices.Clone(line), '\n'))
		const want = "text: line of 10485761 bytes exceeds MaxPackageSize 10485760: "
		if !errors.Is(err, protocols.ErrPackageTooLarge) || !strings.HasPrefix(err.Error(), want) {
			t.Fatalf("limit %d: err = %v, want %q...", limit, err, want)
		}

		_, _, _, err = newCodec(limit).Decode(line)
		const wantUnterminated = "text: unterminated line of at least 10485761 bytes exceeds MaxPackageSize 10485760: "
		if !errors.Is(err, protocols.ErrPackageTooLarge) || !strings.HasPrefix(err.Error(), wantUnterminated) {
			t.Fatalf("limit %d: err = %v, want %q...", limit, err, wantUnterminated)
		}
	}
}

// TestDecodeNeedMoreDoesNotAllocate checks that waiting for the rest of a
// line costs no allocation.
func TestDecodeNeedMoreDoesNotAllocate(t *testing.T) {
	c := newCodec(1 << 20)
	in := bytes.Repeat([]byte("x"), 4096)
	allocs := testing.AllocsPerRun(100, func() {
		if _, n, _, err := c.Decode(in); n != 0 || err != nil {
			t.Fatalf("n=%d err=%v", n, err)
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
		{name: "string", msg: "hi", want: "hi\n"},
		{name: "bytes", msg: []byte("hi"), want: "hi\n"},
		{name: "empty string", msg: "", want: "\n"},
		{name: "nil bytes", msg: []byte(nil), want: "\n"},
		{name: "newline still appended", msg: "hi\n", want: "hi\n\n"},
		{name: "crlf kept", msg: "hi\r\n", want: "hi\r\n\n"},
		{name: "inner newline not escaped", msg: "a\nb", want: "a\nb\n"},
		{name: "binary", msg: []byte{0, 1, 0}, want: "\x00\x01\x00\n"},
		{name: "appends to dst", dst: "x\n", msg: "y", want: "x\ny\n"},
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
	for _, msg := range []any{42, nil, struct{}{}, []rune("r"), new(string), 'c'} {
		dst := []byte("kept")
		got, err := newCodec(0).Encode(dst, msg)
		if !errors.Is(err, protocols.ErrUnsupportedMessage) {
			t.Errorf("Encode(%T): err = %v, want ErrUnsupportedMessage", msg, err)
			continue
		}
		if string(got) != "kept" {
			t.Errorf("Encode(%T) changed dst to %q", msg, got)
		}
		if want := "text: cannot encode "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Encode(%T): err = %q, want prefix %q", msg, err, want)
		}
	}
	_, err := newCodec(0).Encode(nil, 42)
	if want := "text: cannot encode int: unsupported message type"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestProtocol(t *testing.T) {
	if s := text.Protocol().Scheme(); s != "text" || text.Scheme != "text" {
		t.Fatalf("Scheme() = %q", s)
	}
	a, b := newCodec(8), newCodec(8)
	a.Decode([]byte("partial"))
	if _, n, _, err := b.Decode([]byte("x\n")); n != 2 || err != nil {
		t.Fatalf("codecs share state: n=%d err=%v", n, err)
	}
}
