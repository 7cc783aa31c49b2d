package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/pubsub"
)

func TestParsePublish(t *testing.T) {
	for q, want := range map[string]publishReq{
		"":                 {count: 1},
		"id=7":             {first: 7, hasID: true, count: 1},
		"count=20&id=31":   {first: 31, hasID: true, count: 20},
		"count=1000":       {count: 1000},
		"id=%37&count=%32": {first: 7, hasID: true, count: 2},
	} {
		got, err := parsePublish(q)
		if err != nil || got != want {
			t.Errorf("parsePublish(%q) = %+v, %v; want %+v", q, got, err, want)
		}
	}
	for _, bad := range []string{"id=0", "id=-1", "id=+3", "id=x", "id=9223372036854775808", "count=0", "count=1001",
		"count=1.5", "id=1&id=2", "topic=a", "id=1;count=2", "%zz", strings.Repeat("a", 300)} {
		if got, err := parsePublish(bad); err == nil {
			t.Errorf("parsePublish(%q) accepted: %+v", bad, got)
		}
	}
}

func FuzzParsePublish(f *testing.F) {
	for _, s := range []string{"", "id=1", "id=5&count=20", "count=0", "id=%31", "x=1", "id=1&id=1", "id=9223372036854775807&count=1000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		req, err := parsePublish(q)
		if err != nil {
			return
		}
		if req.count < 1 || req.count > maxCount {
			t.Fatalf("count %d accepted", req.count)
		}
		if req.hasID && (req.first < 1 || req.first > 1<<63-1) {
			t.Fatalf("id %d accepted", req.first)
		}
	})
}

func TestPublisherPublish(t *testing.T) {
	hub := pubsub.NewHub(pubsub.Options{})
	defer hub.Close()
	p := newPublisher(hub, "t", slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer p.stop()
	body, status := p.publish(publishReq{first: 4, hasID: true, count: 3})
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	times := strings.Fields(body)
	ms, err := hub.History(context.Background(), "t", "", 0)
	if err != nil || len(ms) != 3 || len(times) != 3 {
		t.Fatalf("history %v %v, answer %q", ms, err, body)
	}
	for i, m := range ms {
		if m.Event != strconv.Itoa(4+i) || m.Data != times[i] {
			t.Errorf("message %d: number %q data %q, answer %q", i, m.Event, m.Data, times[i])
		}
		b, err := benchSSE.Append(nil, &m)
		if want := "id: " + m.ID + "-" + strconv.Itoa(4+i) + "\ndata: " + m.Data + "\n\n"; err != nil || string(b) != want {
			t.Errorf("encoded %q, %v; want %q", b, err, want)
		}
		if _, err := strconv.ParseInt(m.Data, 10, 64); err != nil {
			t.Errorf("data %q is not a time", m.Data)
		}
	}
	// Without a number, the broker's id alone.
	if body, status := p.publish(publishReq{count: 1}); status != 200 || len(strings.Fields(body)) != 1 {
		t.Fatalf("%d %q", status, body)
	}
	ms, _ = hub.History(context.Background(), "t", "", 0)
	last := ms[len(ms)-1]
	if b, _ := benchSSE.Append(nil, &last); string(b) != "id: "+last.ID+"\ndata: "+last.Data+"\n\n" {
		t.Errorf("encoded %q", b)
	}
}

// downBroker is a broker whose server cannot be reached.
type downBroker struct{ pubsub.Broker }

func (downBroker) Publish(context.Context, pubsub.Message) (pubsub.Message, error) {
	return pubsub.Message{}, fmt.Errorf("dial: %w", pubsub.ErrUnavailable)
}

func TestPublisherErrors(t *testing.T) {
	mem := pubsub.NewMemoryBroker(pubsub.MemoryBrokerOptions{})
	defer mem.Close()
	hub := pubsub.NewHub(pubsub.Options{Broker: downBroker{mem}})
	defer hub.Close()
	p := newPublisher(hub, "t", slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer p.stop()
	body, status := p.publish(publishReq{first: 1, hasID: true, count: 2})
	if status != 503 || !strings.Contains(body, "publish 1 of 2") {
		t.Fatalf("%d %q", status, body)
	}
	if p.failed.Load() != 1 {
		t.Fatalf("failed = %d", p.failed.Load())
	}
	hub.Close()
	if _, status := p.publish(publishReq{count: 1}); status != 500 {
		t.Fatalf("publish on a closed hub: %d", status)
	}
}
