// Package netsse is the event-stream side of the benchmark's net/http
// servers (servers/ssenet over HTTP/1.1, servers/h2net over HTTP/2): a
// goroutine per stream, as a net/http application writes one, with the same
// heads and events as the framework's servers.
package netsse

import (
	"net/http"
	"strconv"
	"time"
)

// HeartbeatEvery is how often an idle stream gets a heartbeat comment.
const HeartbeatEvery = 15 * time.Second

// Heartbeat is the comment an idle stream gets every HeartbeatEvery.
var Heartbeat = []byte(":\n\n")

// Start sends the head of an event stream and returns its Flusher.
func Start(w http.ResponseWriter) http.Flusher {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	f := w.(http.Flusher)
	f.Flush()
	return f
}

// Idle serves a stream that gets a heartbeat every HeartbeatEvery until
// the client goes away.
func Idle(w http.ResponseWriter, r *http.Request) {
	f := Start(w)
	hb := time.NewTicker(HeartbeatEvery)
	defer hb.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-hb.C:
			if _, err := w.Write(Heartbeat); err != nil {
				return
			}
			f.Flush()
		}
	}
}

// Tick serves a stream that gets an event every second, whose data is the
// time of sending (Unix nanoseconds), and no heartbeat.
func Tick(w http.ResponseWriter, r *http.Request) {
	f := Start(w)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var buf []byte
	for {
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
			buf = append(buf[:0], "data: "...)
			buf = strconv.AppendInt(buf, time.Now().UnixNano(), 10)
			buf = append(buf, "\n\n"...)
			if _, err := w.Write(buf); err != nil {
				return
			}
			f.Flush()
		}
	}
}
