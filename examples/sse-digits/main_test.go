package main

import (
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/internal/ssetest"
	"github.com/workerman-go/workerman/protocols/sse"
)

func TestDigits(t *testing.T) {
	interval = 10 * time.Millisecond
	s := ssetest.Start(t, newServer("127.0.0.1:0"))

	s.Page("/", "addEventListener('bye'")

	// Twice: the second stream is what the browser's reconnection gets.
	for range 2 {
		stream := s.Open("/")
		for _, want := range []sse.Event{{Data: "1"}, {Data: "2"}, {Data: "3"}, {Event: "bye", Data: "bye-bye"}} {
			if got := stream.Next(); got.Event != want.Event || got.Data != want.Data {
				t.Fatalf("event %+v, want %+v", got, want)
			}
		}
		stream.End()
		if r, ok := stream.Parser.Retry(); !ok || r != retry {
			t.Errorf("retry %v (%v), want %v", r, ok, retry)
		}
	}
}
