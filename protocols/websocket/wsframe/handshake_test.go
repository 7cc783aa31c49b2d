package wsframe_test

import (
	"reflect"
	"strings"
	"testing"

	ws "github.com/workerman-go/workerman/protocols/websocket/wsframe"
)

func TestAcceptKey(t *testing.T) {
	// RFC 6455 section 1.3.
	if got := ws.AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("AcceptKey = %q", got)
	}
	// A key longer than the stack buffer.
	long := strings.Repeat("k", 100)
	if got := ws.AcceptKey(long); len(got) != 28 || got == ws.AcceptKey(long[:99]) {
		t.Fatalf("AcceptKey(long) = %q", got)
	}
	if allocs := testing.AllocsPerRun(100, func() { ws.AcceptKey("dGhlIHNhbXBsZSBub25jZQ==") }); allocs > 1 {
		t.Fatalf("AcceptKey allocates %v times", allocs)
	}
}

func TestValidKey(t *testing.T) {
	tests := map[string]bool{
		"dGhlIHNhbXBsZSBub25jZQ==":  true,
		"AAAAAAAAAAAAAAAAAAAAAA==":  true,
		"/////////////////////w==":  true,
		"":                          false,
		"dGhlIHNhbXBsZSBub25jZQ=":   false, // 23 characters
		"dGhlIHNhbXBsZSBub25jZQ":    false, // unpadded
		"dGhlIHNhbXBsZSBub25jZQ==x": false,
		"dGhlIHNhbXBsZSBub25jZQ$=":  false, // not base64
		"dGhlIHNhbXBsZSBub25jZXk=":  false, // 17 bytes
		"dGhlIHNhbXBsZSBub25jZ===":  false,
		"dGhlIHNhbXBsZSBub25j\nQ==": false,
		"-_-_-_-_-_-_-_-_-_-_-w==":  false, // URL alphabet
		" dGhlIHNhbXBsZSBub25jZQ==": false,
	}
	for key, want := range tests {
		if got := ws.ValidKey(key); got != want {
			t.Errorf("ValidKey(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestSelectSubprotocol(t *testing.T) {
	supported := []string{"v2.chat", "chat", "superchat"}
	tests := []struct {
		offered, want string
	}{
		{"", ""},
		{"chat", "chat"},
		{"superchat, chat", "chat"}, // the server's preference wins
		{"superchat,v2.chat", "v2.chat"},
		{"  superchat  ,\tother ", "superchat"},
		{"Chat", ""}, // case-sensitive
		{"cha, hat, chatty", ""},
		{"mqtt", ""},
		{",,chat,,", "chat"},
	}
	for _, tc := range tests {
		if got := ws.SelectSubprotocol(tc.offered, supported); got != tc.want {
			t.Errorf("SelectSubprotocol(%q) = %q, want %q", tc.offered, got, tc.want)
		}
	}
	if got := ws.SelectSubprotocol("chat", nil); got != "" {
		t.Errorf("nothing supported: %q", got)
	}
	if got := ws.SelectSubprotocol(", ,", []string{""}); got != "" {
		t.Errorf("empty supported protocol selected: %q", got)
	}
}

func TestParseExtensions(t *testing.T) {
	type E = ws.Extension
	type P = ws.ExtensionParam
	tests := []struct {
		header string
		want   []ws.Extension
	}{
		{"", nil},
		{"  ,, ", nil},
		{"permessage-deflate", []E{{Name: "permessage-deflate"}}},
		{"permessage-deflate; client_max_window_bits", []E{{Name: "permessage-deflate", Params: []P{{Name: "client_max_window_bits"}}}}},
		{"permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate; client_max_window_bits",
			[]E{
				{Name: "permessage-deflate", Params: []P{{Name: "client_max_window_bits"}, {Name: "server_max_window_bits", Value: "10"}}},
				{Name: "permessage-deflate", Params: []P{{Name: "client_max_window_bits"}}},
			}},
		{`foo; a="b"; c=d`, []E{{Name: "foo", Params: []P{{"a", "b"}, {"c", "d"}}}}},
		{`foo; a="x\yz"`, []E{{Name: "foo", Params: []P{{"a", "xyz"}}}}},
		{" , foo ,, bar ;x = 1\t; y ,", []E{{Name: "foo"}, {Name: "bar", Params: []P{{"x", "1"}, {Name: "y"}}}}},
		{"a;b;c", []E{{Name: "a", Params: []P{{Name: "b"}, {Name: "c"}}}}},
	}
	for _, tc := range tests {
		got, err := ws.ParseExtensions(tc.header)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseExtensions(%q) = %+v, %v; want %+v", tc.header, got, err, tc.want)
		}
	}
	errs := map[string]string{
		"foo;":             `websocket: malformed Sec-WebSocket-Extensions "foo;": expected parameter name, found the end at offset 4`,
		"foo; =1":          `websocket: malformed Sec-WebSocket-Extensions "foo; =1": expected parameter name, found '=' at offset 5`,
		"foo bar":          `websocket: malformed Sec-WebSocket-Extensions "foo bar": expected ';' or ',', found 'b' at offset 4`,
		"foo; a=":          `websocket: malformed Sec-WebSocket-Extensions "foo; a=": expected parameter value, found the end at offset 7`,
		`foo; a="x`:        `websocket: malformed Sec-WebSocket-Extensions "foo; a=\"x": unterminated quoted string, found the end at offset 9`,
		`foo; a="x\`:       `websocket: malformed Sec-WebSocket-Extensions "foo; a=\"x\\": unterminated quoted string, found the end at offset 10`,
		`foo; a=""`:        `websocket: malformed Sec-WebSocket-Extensions "foo; a=\"\"": quoted value "" is not a token, found '"' at offset 8`,
		`foo; a="b c"`:     `websocket: malformed Sec-WebSocket-Extensions "foo; a=\"b c\"": quoted value "b c" is not a token, found '"' at offset 11`,
		";foo":             `websocket: malformed Sec-WebSocket-Extensions ";foo": expected extension name, found ';' at offset 0`,
		"foo; a=b=c":       `websocket: malformed Sec-WebSocket-Extensions "foo; a=b=c": expected ';' or ',', found '=' at offset 8`,
		"f\x00o":           `websocket: malformed Sec-WebSocket-Extensions "f\x00o": expected ';' or ',', found '\x00' at offset 1`,
		"foo; a=\"b\"junk": `websocket: malformed Sec-WebSocket-Extensions "foo; a=\"b\"junk": expected ';' or ',', found 'j' at offset 10`,
	}
	for header, want := range errs {
		got, err := ws.ParseExtensions(header)
		if err == nil || err.Error() != want {
			t.Errorf("ParseExtensions(%q) = %+v, %v; want error %s", header, got, err, want)
		}
	}
}

func TestExtensionString(t *testing.T) {
	e := ws.Extension{Name: "permessage-deflate", Params: []ws.ExtensionParam{{Name: "client_max_window_bits", Value: "10"}, {Name: "server_no_context_takeover"}}}
	if got := e.String(); got != "permessage-deflate; client_max_window_bits=10; server_no_context_takeover" {
		t.Fatalf("String = %q", got)
	}
	back, err := ws.ParseExtensions(e.String())
	if err != nil || !reflect.DeepEqual(back, []ws.Extension{e}) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
}
