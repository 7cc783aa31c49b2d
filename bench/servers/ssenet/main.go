// Command ssenet is the baseline of the Server-Sent Events benchmark:
// net/http with a goroutine per stream, written the way Go servers usually
// write SSE. GET / with Accept: text/event-stream gets a stream
// (Content-Type: text/event-stream; net/http frames the body with chunked
// transfer coding, as it does for any HTTP/1.1 response without a length),
// flushed with http.Flusher after every write.
//
// -mode chooses what the streams get:
//
//   - idle: a heartbeat comment every 15 s (time.Ticker) and nothing else;
//   - tick: one event per second from the stream's own time.Ticker, its
//     data the time of sending (Unix ns); no heartbeat;
//   - fanout: every stream subscribes to a broadcaster (and has the 15 s
//     heartbeat). POST /publish encodes one event, with an id (1, 2, 3...)
//     and the time of the publish (Unix ns) as data, once, and hands it to
//     every subscriber's buffered channel without blocking; a subscriber
//     whose channel is full is disconnected (its EventSource reconnects)
//     rather than slowing the others down. Each stream's goroutine writes
//     what its channel holds and flushes once.
//
// It prints "LISTENING <addr>" on stdout once the listener is bound.
// -tls-cert FILE -tls-key FILE serve TLS as ListenAndServeTLS does, HTTP/1.1
// only (TLSNextProto is an empty map: no HTTP/2), for the TLS benchmark
// (compare tls). -pprof host:port serves net/http/pprof on a separate
// listener.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/workerman-go/workerman/bench/internal/netsse"
	"github.com/workerman-go/workerman/bench/internal/pprofserve"
)

const (
	// queueLen is each subscriber's channel capacity: the publishes it may
	// fall behind by before it is disconnected.
	queueLen = 64
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	mode := flag.String("mode", "idle", "what the streams get: idle, tick or fanout")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this address (off by default)")
	certFile := flag.String("tls-cert", "", "serve TLS (HTTP/1.1 only) with this certificate `file` (PEM), with -tls-key")
	keyFile := flag.String("tls-key", "", "private key `file` (PEM) of -tls-cert")
	flag.Parse()
	if (*certFile == "") != (*keyFile == "") {
		fmt.Fprintln(os.Stderr, "ssenet: -tls-cert and -tls-key go together")
		os.Exit(2)
	}
	switch *mode {
	case "idle", "tick", "fanout":
	default:
		fmt.Fprintf(os.Stderr, "ssenet: unknown -mode %q (idle, tick, fanout)\n", *mode)
		os.Exit(2)
	}
	pprofserve.Start("ssenet", *pprofAddr)

	b := newBroadcaster()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /publish", func(w http.ResponseWriter, r *http.Request) {
		if *mode != "fanout" {
			http.Error(w, "not in fanout mode", http.StatusNotFound)
			return
		}
		b.publish(time.Now().UnixNano())
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			http.Error(w, "want Accept: text/event-stream", http.StatusNotAcceptable)
			return
		}
		switch *mode {
		case "idle":
			netsse.Idle(w, r)
		case "tick":
			netsse.Tick(w, r)
		case "fanout":
			serveFanout(w, r, b)
		}
	})
	srv := &http.Server{Handler: mux}
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ssenet: -tls-cert %s, -tls-key %s: %v\n", *certFile, *keyFile, err)
			os.Exit(1)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		// Not nil: no HTTP/2 (net/http configures it only when TLSNextProto is nil).
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ssenet:", err)
		os.Exit(1)
	}
	fmt.Println("LISTENING", ln.Addr())
	if *certFile != "" {
		err = srv.ServeTLS(ln, "", "") // the certificate is in TLSConfig
	} else {
		err = srv.Serve(ln)
	}
	fmt.Fprintln(os.Stderr, "ssenet:", err)
	os.Exit(1)
}

// serveFanout: the broadcaster's events, and a heartbeat every 15 s.
func serveFanout(w http.ResponseWriter, r *http.Request, b *broadcaster) {
	f := netsse.Start(w)
	s := b.subscribe()
	defer b.unsubscribe(s)
	hb := time.NewTicker(netsse.HeartbeatEvery)
	defer hb.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.kicked:
			return // too slow: disconnected, it reconnects
		case msg := <-s.ch:
			if _, err := w.Write(msg); err != nil {
				return
			}
			// Write whatever else is queued, then flush once.
			for n := len(s.ch); n > 0; n-- {
				if _, err := w.Write(<-s.ch); err != nil {
					return
				}
			}
			f.Flush()
		case <-hb.C:
			if _, err := w.Write(netsse.Heartbeat); err != nil {
				return
			}
			f.Flush()
		}
	}
}

// broadcaster hands every published event to every subscriber.
type broadcaster struct {
	seq  uint64
	mu   sync.Mutex // also keeps publishes in id order
	subs map[*subscriber]struct{}
}

type subscriber struct {
	ch     chan []byte
	kicked chan struct{}
	once   sync.Once
}

func newBroadcaster() *broadcaster {
	return &broadcaster{subs: map[*subscriber]struct{}{}}
}

func (b *broadcaster) subscribe() *subscriber {
	s := &subscriber{ch: make(chan []byte, queueLen), kicked: make(chan struct{})}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

func (b *broadcaster) unsubscribe(s *subscriber) {
	b.mu.Lock()
	delete(b.subs, s)
	b.mu.Unlock()
}

// publish encodes one event, once, and queues it for every subscriber.
func (b *broadcaster) publish(now int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	msg := []byte("id: ")
	msg = strconv.AppendUint(msg, b.seq, 10)
	msg = append(msg, "\ndata: "...)
	msg = strconv.AppendInt(msg, now, 10)
	msg = append(msg, "\n\n"...)
	for s := range b.subs {
		select {
		case s.ch <- msg:
		default:
			s.once.Do(func() { close(s.kicked) })
		}
	}
}
