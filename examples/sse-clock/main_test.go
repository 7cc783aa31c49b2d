package main

import (
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/internal/ssetest"
)

func TestClock(t *testing.T) {
	interval = 20 * time.Millisecond
	s := ssetest.Start(t, newServer("127.0.0.1:0"))

	s.Page("/", "new EventSource('/')")

	stream := s.Open("/")
	if got := stream.Resp.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("Cache-Control: %q, want no-cache", got)
	}
	const prefix = "The server time is: "
	for range 3 {
		e := stream.Next()
		if e.Event != "" || !strings.HasPrefix(e.Data, prefix) {
			t.Fatalf("event %+v, want a message with data %q...", e, prefix)
		}
		if _, err := time.Parse(time.RFC1123Z, strings.TrimPrefix(e.Data, prefix)); err != nil {
			t.Fatalf("data %q: %v", e.Data, err)
		}
	}
}
