package main

import (
	"regexp"
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/internal/ssetest"
)

func TestColors(t *testing.T) {
	interval = 5 * time.Millisecond
	s := ssetest.Start(t, newServer("127.0.0.1:0"))

	s.Page("/", "addEventListener(color")

	stream := s.Open("/")
	clock := regexp.MustCompile(`^\d\d:\d\d:\d\d$`)
	seen := map[string]int{}
	// Enough events that all three names show up, unless something is wrong
	// (the chance that one is missing from 60 is (2/3)^60, about 3e-11).
	for range 60 {
		e := stream.Next()
		switch e.Event {
		case "red", "green", "blue":
		default:
			t.Fatalf("event %+v: its name is not red, green or blue", e)
		}
		if !clock.MatchString(e.Data) {
			t.Fatalf("event %+v: data is not a time", e)
		}
		seen[e.Event]++
	}
	if len(seen) != 3 {
		t.Errorf("names seen: %v, want all three", seen)
	}
}
