package tcp_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/protocols/tcp"
)

func newCodec() protocols.Codec[[]byte] {
	return tcp.Protocol().NewCodec(protocols.Limits{MaxPackageSize: 8})
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{name: "text", in: []byte("hello")},
		{name: "one byte", in: []byte{0}},
		{name: "binary", in: []byte{0, 0xff, '\n', '\r', 0}},
		{name: "over MaxPackageSize", in: bytes.Repeat([]byte("x"), 100)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := append(make([]byte, 0, len(tc.in)+16), tc.in...)
			msg, n, skip, err := newCodec().Decode(in)
			if err != nil || skip || n != len(in) || !bytes.Equal(msg, tc.in) {
				t.Fatalf("Decode = (%q, %d, %v, %v), want (%q, %d, false, nil)", msg, n, skip, err, tc.in, len(in))
			}
			if &msg[0] != &in[0] {
				t.Fatalf("message is a copy, want zero copy")
			}
			if cap(msg) != len(msg) {
				t.Fatalf("message has cap %d, want %d: appending to it would write into the buffer", cap(msg), len(msg))
			}
		})
	}
}

func TestDecodeEmpty(t *testing.T) {
	for _, in := range [][]byte{nil, {}} {
		msg, n, skip, err := newCodec().Decode(in)
		if msg != nil || n != 0 || skip || err != nil {
			t.Fatalf("Decode(%#v) = (%q, %d, %v, %v), want need more", in, msg, n, skip, err)
		}
	}
}

// TestDecodeSplit feeds a stream in every two-chunk split and one byte at a
// time, mimicking the framework, and checks that the messages, copied as the
// documentation asks, put together give the stream back.
func TestDecodeSplit(t *testing.T) {
	stream := []byte("hello\r\n\x00world\nmore bytes")
	var splits [][][]byte
	for i := 0; i <= len(stream); i++ {
		splits = append(splits, [][]byte{stream[:i], stream[i:]})
	}
	bytewise := make([][]byte, len(stream))
	for i := range stream {
		bytewise[i] = stream[i : i+1]
	}
	splits = append(splits, bytewise)

	for _, chunks := range splits {
		c := newCodec()
		var buf, got []byte
		messages := 0
		for _, chunk := range chunks {
			buf = append(buf, chunk...)
			for {
				msg, n, _, err := c.Decode(buf)
				if err != nil {
					t.Fatalf("chunks %q: %v", chunks, err)
				}
				if n == 0 {
					break
				}
				if n > len(buf) {
					t.Fatalf("chunks %q: n=%d > %d", chunks, n, len(buf))
				}
				got = append(got, msg...)
				messages++
				buf = buf[:copy(buf, buf[n:])]
			}
		}
		if !bytes.Equal(got, stream) || len(buf) != 0 {
			t.Fatalf("chunks %q: got %q, left %q", chunks, got, buf)
		}
		nonEmpty := 0
		for _, chunk := range chunks {
			if len(chunk) > 0 {
				nonEmpty++
			}
		}
		if messages != nonEmpty {
			t.Fatalf("chunks %q: %d messages, want one per non-empty chunk (%d)", chunks, messages, nonEmpty)
		}
	}
}

func TestEncode(t *testing.T) {
	tests := []struct {
		name string
		dst  string
		msg  any
		want string
	}{
		{name: "string", msg: "hi", want: "hi"},
		{name: "bytes", msg: []byte("hi\n"), want: "hi\n"},
		{name: "empty string", msg: "", want: ""},
		{name: "nil bytes", msg: []byte(nil), want: ""},
		{name: "binary", msg: []byte{0, 1, 0}, want: "\x00\x01\x00"},
		{name: "appends to dst", dst: "x", msg: "y", want: "xy"},
		{name: "over MaxPackageSize", msg: strings.Repeat("z", 100), want: strings.Repeat("z", 100)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := newCodec().Encode([]byte(tc.dst), tc.msg)
			if err != nil || string(got) != tc.want {
				t.Fatalf("Encode = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestEncodeUnsupported(t *testing.T) {
	for _, msg := range []any{42, nil, struct{}{}, []rune("r"), new([]byte), 'c'} {
		dst := []byte("kept")
		got, err := newCodec().Encode(dst, msg)
		if !errors.Is(err, protocols.ErrUnsupportedMessage) {
			t.Errorf("Encode(%T): err = %v, want ErrUnsupportedMessage", msg, err)
			continue
		}
		if string(got) != "kept" {
			t.Errorf("Encode(%T) changed dst to %q", msg, got)
		}
	}
	_, err := newCodec().Encode(nil, 42)
	if want := "tcp: cannot encode int: unsupported message type"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestProtocol(t *testing.T) {
	if s := tcp.Protocol().Scheme(); s != "tcp" || tcp.Scheme != "tcp" {
		t.Fatalf("Scheme() = %q", s)
	}
}

func TestDecodeDoesNotAllocate(t *testing.T) {
	c := newCodec()
	in := []byte("some bytes")
	if allocs := testing.AllocsPerRun(100, func() { c.Decode(in) }); allocs != 0 {
		t.Fatalf("Decode allocates %v times", allocs)
	}
}

// A message carries at most MaxMessage bytes; the rest is the next one.
func TestDecodeCapsAMessage(t *testing.T) {
	codec := tcp.Protocol().NewCodec(protocols.Limits{})
	in := make([]byte, tcp.MaxMessage+100)
	msg, n, skip, err := codec.Decode(in)
	if err != nil || skip || n != tcp.MaxMessage || len(msg) != tcp.MaxMessage {
		t.Fatalf("Decode of %d bytes: %d bytes, n %d, skip %v, %v", len(in), len(msg), n, skip, err)
	}
	msg, n, _, _ = codec.Decode(in[n:])
	if n != 100 || len(msg) != 100 {
		t.Fatalf("then: %d bytes, n %d", len(msg), n)
	}
}
