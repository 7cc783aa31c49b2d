package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/internal/ssetest"
)

func TestJSON(t *testing.T) {
	interval = 20 * time.Millisecond
	s := ssetest.Start(t, newServer("127.0.0.1:0"))

	s.Page("/", "JSON.parse(event.data)")

	stream := s.Open("/")
	for range 3 {
		e := stream.Next()
		// Exactly the three fields, each a number in its range.
		var got map[string]int
		if err := json.Unmarshal([]byte(e.Data), &got); err != nil || len(got) != 3 {
			t.Fatalf("data %q: %v, want an object of three numbers", e.Data, err)
		}
		for field, limit := range map[string]int{"hour": 23, "minute": 59, "second": 59} {
			if v, ok := got[field]; !ok || v < 0 || v > limit {
				t.Fatalf("data %q: want %q from 0 to %d", e.Data, field, limit)
			}
		}
	}
}
