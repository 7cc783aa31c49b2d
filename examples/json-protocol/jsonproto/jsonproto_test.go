package jsonproto_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/examples/json-protocol/jsonproto"
	"github.com/workerman-go/workerman/protocols"
)

type request struct {
	Op string  `json:"op"`
	A  float64 `json:"a"`
	B  float64 `json:"b"`
}

func newCodec[M any](limit int) protocols.Codec[M] {
	return jsonproto.Protocol[M]().NewCodec(protocols.Limits{MaxPackageSize: limit})
}

// msg returns the wire form of a body.
func msg(body string) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

func TestScheme(t *testing.T) {
	if s := jsonproto.Protocol[any]().Scheme(); s != "json" {
		t.Fatalf("Scheme() = %q", s)
	}
}

func TestEncodeWireFormat(t *testing.T) {
	c := newCodec[request](0)
	wire, err := c.Encode([]byte("kept"), request{Op: "add", A: 1, B: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := "kept" + string(msg(`{"op":"add","a":1,"b":2}`))
	if string(wire) != want {
		t.Fatalf("Encode = %q, want %q", wire, want)
	}
}

func TestRoundTrip(t *testing.T) {
	t.Run("struct", func(t *testing.T) {
		c := newCodec[request](0)
		in := request{Op: "div", A: -1.5, B: 1e300}
		wire, err := c.Encode(nil, in)
		if err != nil {
			t.Fatal(err)
		}
		out, n, skip, err := c.Decode(wire)
		if err != nil || n != len(wire) || skip || out != in {
			t.Fatalf("Decode = %+v, %d, %v, %v; want %+v, %d, false, nil", out, n, skip, err, in, len(wire))
		}
	})
	t.Run("map", func(t *testing.T) {
		c := newCodec[map[string]any](0)
		in := map[string]any{"list": []any{"x", 1.0, nil, true}, "nested": map[string]any{"k": "v"}}
		wire, err := c.Encode(nil, in)
		if err != nil {
			t.Fatal(err)
		}
		out, n, _, err := c.Decode(wire)
		if err != nil || n != len(wire) || !reflect.DeepEqual(out, in) {
			t.Fatalf("Decode = %v, %d, %v; want %v", out, n, err, in)
		}
	})
	t.Run("raw JSON text", func(t *testing.T) {
		c := newCodec[any](0)
		for _, in := range []any{`{"ok":true}`, []byte(`[1,2]`), json.RawMessage(`"s"`), ` 7 `} {
			wire, err := c.Encode(nil, in)
			if err != nil {
				t.Fatalf("Encode(%#v): %v", in, err)
			}
			var text string
			switch v := in.(type) {
			case string:
				text = v
			case []byte:
				text = string(v)
			case json.RawMessage:
				text = string(v)
			}
			if string(wire) != string(msg(text)) {
				t.Fatalf("Encode(%#v) = %q, want the text unchanged", in, wire)
			}
		}
	})
}

func TestDecodeWaitsForTheWholeMessage(t *testing.T) {
	c := newCodec[request](0)
	wire := msg(`{"op":"mul","a":3,"b":4}`)
	for i := range len(wire) {
		if m, n, _, err := c.Decode(wire[:i]); n != 0 || err != nil || m != (request{}) {
			t.Fatalf("Decode of %d of %d bytes = %+v, %d, %v; want need-more", i, len(wire), m, n, err)
		}
	}
	if m, n, _, err := c.Decode(wire); err != nil || n != len(wire) || m.Op != "mul" {
		t.Fatalf("Decode = %+v, %d, %v", m, n, err)
	}
}

func TestDecodeOneMessageAtATime(t *testing.T) {
	c := newCodec[any](0)
	in := append(append(msg(`1`), msg(`"two"`)...), msg(`[3]`)...)
	in = append(in, 0, 0) // half a header
	var got []any
	for {
		m, n, _, err := c.Decode(in)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		got = append(got, m)
		in = in[n:]
	}
	if want := []any{1.0, "two", []any{3.0}}; !reflect.DeepEqual(got, want) || len(in) != 2 {
		t.Fatalf("decoded %v leaving %d bytes; want %v leaving 2", got, len(in), want)
	}
}

func TestDecodedMessageOwnsItsMemory(t *testing.T) {
	c := newCodec[map[string]string](0)
	wire := msg(`{"k":"value"}`)
	m, _, _, err := c.Decode(wire)
	if err != nil {
		t.Fatal(err)
	}
	for i := range wire {
		wire[i] = 'X' // the framework reuses its input buffer
	}
	if m["k"] != "value" {
		t.Fatalf("message changed with the input buffer: %q", m)
	}
}

func TestLimitIsCheckedFromTheHeaderAlone(t *testing.T) {
	for _, tc := range []struct {
		limit, effective int
	}{{16, 16}, {0, jsonproto.DefaultMaxPackageSize}, {-1, jsonproto.DefaultMaxPackageSize}} {
		c := newCodec[any](tc.limit)
		header := binary.BigEndian.AppendUint32(nil, uint32(tc.effective))
		if _, n, _, err := c.Decode(header); n != 0 || err != nil {
			t.Fatalf("limit %d: a body of exactly the limit: %d, %v; want need-more", tc.limit, n, err)
		}
		header = binary.BigEndian.AppendUint32(nil, uint32(tc.effective+1))
		_, n, _, err := c.Decode(header)
		if n != 0 || !errors.Is(err, protocols.ErrPackageTooLarge) {
			t.Fatalf("limit %d: a body of limit+1 bytes: %d, %v; want ErrPackageTooLarge", tc.limit, n, err)
		}
	}
	c := newCodec[any](16)
	if _, _, _, err := c.Decode([]byte{0xff, 0xff, 0xff, 0xff}); !errors.Is(err, protocols.ErrPackageTooLarge) {
		t.Fatalf("4 GiB announced: %v", err)
	}
	body := `"` + strings.Repeat("x", 14) + `"` // 16 bytes
	if m, _, _, err := c.Decode(msg(body)); err != nil || m != strings.Repeat("x", 14) {
		t.Fatalf("a body of exactly the limit: %v, %v", m, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		is         any // a pointer to the encoding/json error type wrapped
	}{
		{"empty body", ``, new(*json.SyntaxError)},
		{"not JSON", `hello`, new(*json.SyntaxError)},
		{"truncated", `{"op":`, new(*json.SyntaxError)},
		{"two values", `{} {}`, new(*json.SyntaxError)},
		{"wrong type", `{"op":1}`, new(*json.UnmarshalTypeError)},
		{"not an object", `[1,2]`, new(*json.UnmarshalTypeError)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, n, _, err := newCodec[request](0).Decode(msg(tc.body))
			if err == nil || n != 0 {
				t.Fatalf("Decode = %+v, %d, %v; want an error", m, n, err)
			}
			if !errors.As(err, tc.is) {
				t.Fatalf("error %v does not wrap %T", err, tc.is)
			}
			if m != (request{}) {
				t.Fatalf("a failed Decode returned %+v, want the zero value", m)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	c := newCodec[any](0)
	dst := []byte("kept")
	for _, tc := range []struct {
		name        string
		msg         any
		unsupported bool
	}{
		{"string that is not JSON", "hello", false},
		{"bytes that are not JSON", []byte(`{"a":`), false},
		{"empty text", "", false},
		{"channel", make(chan int), true},
		{"function in a map", map[string]any{"f": func() {}}, true},
		{"NaN", math.NaN(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.Encode(dst, tc.msg)
			if err == nil {
				t.Fatalf("Encode(%#v) = %q, want an error", tc.msg, out)
			}
			if errors.Is(err, protocols.ErrUnsupportedMessage) != tc.unsupported {
				t.Fatalf("Encode(%#v): %v; wraps ErrUnsupportedMessage: %v, want %v",
					tc.msg, err, !tc.unsupported, tc.unsupported)
			}
			if !bytes.Equal(out, dst) {
				t.Fatalf("a failed Encode returned %q, want dst unchanged", out)
			}
		})
	}
}
