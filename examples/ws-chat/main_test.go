package main

import (
	"strings"
	"testing"

	"github.com/workerman-go/workerman/examples/internal/wstest"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/pubsub"
)

func TestChat(t *testing.T) {
	hub := newHub()
	t.Cleanup(func() { hub.Close() }) // after the server stops (cleanups run last first)
	w := newChat("127.0.0.1:0", hub)
	w.Count = 2 // clients on both loops: the broadcast crosses loops
	addr := wstest.Start(t, w)

	// The page on /, and a WebSocket on the same URL.
	wstest.Page(t, "http://"+addr+"/", "new WebSocket(")
	url := "ws://" + addr + "/"
	clients := []*wstest.Client{wstest.Dial(t, url), wstest.Dial(t, url), wstest.Dial(t, url)}
	testutil.Eventually(t, "3 subscribers", func() bool { return hub.Stats().Subscribers == 3 })

	// Every client receives every message, its sender included; a message
	// is cut to 50 characters, whatever their UTF-8 length.
	for i, tc := range []struct{ send, want string }{
		{"hello", "hello"},
		{strings.Repeat("x", 50), strings.Repeat("x", 50)},
		{strings.Repeat("x", 51), strings.Repeat("x", 50)},
		{strings.Repeat("é", 60), strings.Repeat("é", 50)},              // 2 bytes each
		{strings.Repeat("€", 49) + "ab", strings.Repeat("€", 49) + "a"}, // 3 bytes each
		{"a" + strings.Repeat("🙂", 55), "a" + strings.Repeat("🙂", 49)},  // 4 bytes each
		{strings.Repeat("😀", 50) + "!", strings.Repeat("😀", 50)},        // cut right after a 4-byte character
		{"", ""},
	} {
		clients[i%len(clients)].Send(tc.send)
		for k, c := range clients {
			if got := c.Text(); got != tc.want {
				t.Fatalf("message %d, client %d: got %q (%d bytes), want %q", i, k, got, len(got), tc.want)
			}
		}
	}

	// Nothing is kept.
	if st := hub.Broker().(*pubsub.MemoryBroker).Stats(); st.Messages != 0 || st.Bytes != 0 {
		t.Fatalf("broker stats %+v, want nothing kept", st)
	}

	// A client that closes is removed from the set; the others go on.
	gone := clients[2]
	gone.Close(websocket.CloseNormal, "bye")
	if e := gone.ExpectClose(); e.Code != websocket.CloseNormal {
		t.Fatalf("closing: %+v, want 1000 echoed", e)
	}
	testutil.Eventually(t, "the closed client removed", func() bool { return hub.Stats().Subscribers == 2 })
	clients[0].Send("after a close")
	for _, c := range clients[:2] {
		if got := c.Text(); got != "after a close" {
			t.Fatalf("got %q after a close", got)
		}
	}

	// So is one whose TCP connection just ends.
	clients[1].Conn().Destroy()
	testutil.Eventually(t, "the dropped client removed", func() bool { return hub.Stats().Subscribers == 1 })
	clients[0].Send("alone")
	if got := clients[0].Text(); got != "alone" {
		t.Fatalf("got %q", got)
	}

	// The page sends text: a binary message is refused with 1003.
	clients[0].Send([]byte{1, 2, 3})
	if e := clients[0].ExpectClose(); e.Code != websocket.CloseUnsupportedData {
		t.Fatalf("after a binary message: %+v, want close 1003", e)
	}
	testutil.Eventually(t, "no subscriber left", func() bool { return hub.Stats().Subscribers == 0 })
}

func TestCut(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"", 50, ""},
		{"abc", 2, "ab"},
		{"abc", 3, "abc"},
		{"héllo", 2, "hé"},
		{"日本語テキスト", 3, "日本語"},
		{"🙂🙂🙂", 1, "🙂"},
		{"e\u0301e\u0301", 1, "e"}, // characters are code points: a combining mark counts as one
	} {
		if got := cut([]byte(tc.in), tc.n); got != tc.want {
			t.Errorf("cut(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
