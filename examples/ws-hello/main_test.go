package main

import (
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/internal/wstest"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/websocket"
)

func TestHello(t *testing.T) {
	closeDelay = 50 * time.Millisecond
	w := newServer("127.0.0.1:0")
	w.Count = 1
	addr := wstest.Start(t, w)

	// The page on /, and a WebSocket on the same URL.
	wstest.Page(t, "http://"+addr+"/", "new WebSocket(")
	url := "ws://" + addr + "/"

	for _, tc := range []struct{ send, want string }{
		{"My name is John", "John"},
		{"John", "John"},
		{"  Jöhn_Doe!\n", "Jöhn_Doe"},
		{"je m'appelle Zoë", "Zoë"},
		{"...", "Guest"},
		{"", "Guest"},
	} {
		c := wstest.Dial(t, url)
		c.Send(tc.send)
		// A second message before the close gets no answer of its own.
		c.Send("and again")
		if got := c.Text(); got != "Hello from server, "+tc.want {
			t.Fatalf("sent %q: got %q, want %q", tc.send, got, "Hello from server, "+tc.want)
		}
		// Then the server closes with 1000 (no other message before it).
		if e := c.ExpectClose(); e.Code != websocket.CloseNormal || e.Reason != "Bye!" {
			t.Fatalf("sent %q: close %+v, want 1000 Bye!", tc.send, e)
		}
	}

	// A binary message is answered as well (the name read as text), and a
	// client that leaves before the close takes its timer with it.
	c := wstest.Dial(t, url)
	c.Send([]byte("Ann"))
	if got := c.Text(); got != "Hello from server, Ann" {
		t.Fatalf("binary: got %q", got)
	}
	c.Close(websocket.CloseGoingAway, "leaving")
	if e := c.ExpectClose(); e.Code != websocket.CloseGoingAway {
		t.Fatalf("client close: %+v, want 1001 echoed", e)
	}
	testutil.Eventually(t, "the server connection closed", func() bool { return w.Stats().Connections == 0 })
}

func TestName(t *testing.T) {
	long := ""
	for range 60 {
		long += "é"
	}
	for in, want := range map[string]string{
		"My name is John":  "John",
		"John!":            "John",
		"ما اسمك؟ أحمد":    "أحمد",
		"name: 42":         "42",
		"\xff\xfeBob":      "Bob",
		long:               long[:100], // 50 characters of 2 bytes
		"   ":              "Guest",
		"e\u0301\u200dx ?": "e\u0301\u200dx",
	} {
		if got := name([]byte(in)); got != want {
			t.Errorf("name(%q) = %q, want %q", in, got, want)
		}
	}
}
