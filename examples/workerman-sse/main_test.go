package main

import (
	"bufio"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/internal/ssetest"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/timer"
)

func TestWorkermanSSE(t *testing.T) {
	interval = 20 * time.Millisecond
	s := ssetest.Start(t, newServer("127.0.0.1:0"))

	// Any request that does not ask for an event stream gets "ok".
	if resp, body := s.Do("GET", "/", ""); resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("plain GET /: %d %q, want 200 ok", resp.StatusCode, body)
	}
	s.Page("/client.html", "addEventListener('message'")

	if n := timer.Len(); n != 0 {
		t.Fatalf("%d timers before any stream", n)
	}

	// The stream, byte for byte, as the manual's Workerman sends it.
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(s.URL, "http://"), ssetest.Timeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(ssetest.Timeout))
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	var head []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the head: %v (so far %q)", err, head)
		}
		if line == "\r\n" {
			break
		}
		head = append(head, strings.TrimRight(line, "\r\n"))
	}
	framed := func(l string) bool {
		return strings.HasPrefix(l, "Content-Length:") || strings.HasPrefix(l, "Transfer-Encoding:")
	}
	if len(head) == 0 || head[0] != "HTTP/1.1 200 OK" || !slices.Contains(head, "Content-Type: text/event-stream") ||
		slices.ContainsFunc(head, framed) {
		t.Fatalf("head %q: want 200, Content-Type: text/event-stream, no framing", head)
	}
	// The body: the manual's "\r\n", then the timer's events.
	want := "\r\n" + strings.Repeat("id: 1\nevent: message\ndata: hello\n\n", 3)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(r, got); err != nil {
		t.Fatalf("reading the stream: %v (got %q)", err, got)
	}
	if string(got) != want {
		t.Fatalf("stream %q, want %q", got, want)
	}
	if n := timer.Len(); n != 1 {
		t.Fatalf("%d timers with one stream open, want 1", n)
	}

	// The client goes away: the timer sees it and deletes itself.
	conn.Close()
	testutil.Eventually(t, "the timer to delete itself", func() bool { return timer.Len() == 0 })
}
