package address

import "testing"

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in, scheme, hostport string
		bad                  bool
	}{
		{in: "text://0.0.0.0:2000", scheme: "text", hostport: "0.0.0.0:2000"},
		{in: "TCP://127.0.0.1:0", scheme: "tcp", hostport: "127.0.0.1:0"},
		{in: "frame://[::1]:80", scheme: "frame", hostport: "[::1]:80"},
		{in: "ws://example.test:8080/chat?x=1", scheme: "ws", hostport: "example.test:8080"},
		{in: "http://:8080", scheme: "http", hostport: ":8080"},
		{in: "127.0.0.1:80", bad: true},
		{in: "text://127.0.0.1", bad: true},
		{in: "text://127.0.0.1:http", bad: true},
		{in: "text://127.0.0.1:70000", bad: true},
		{in: "://127.0.0.1:1", bad: true},
	} {
		scheme, hp, err := Parse(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("Parse(%q) = %q %q, want an error", tc.in, scheme, hp)
			}
			continue
		}
		if err != nil || scheme != tc.scheme || hp != tc.hostport {
			t.Errorf("Parse(%q) = %q %q %v, want %q %q", tc.in, scheme, hp, err, tc.scheme, tc.hostport)
		}
	}
}

func TestWithHostPort(t *testing.T) {
	got, err := WithHostPort("ws://0.0.0.0:8080/chat", "127.0.0.1:9")
	if err != nil || got != "ws://127.0.0.1:9/chat" {
		t.Fatalf("got %q %v", got, err)
	}
	if _, err := WithHostPort("text://0.0.0.0:1", "nonsense"); err == nil {
		t.Fatal("want an error for a listen address without a port")
	}
}
