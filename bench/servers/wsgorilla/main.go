// Command wsgorilla is the baseline of the WebSocket benchmark:
// github.com/gorilla/websocket on net/http, a goroutine per connection,
// written the way gorilla's own examples (echo, chat) write it.
//
// GET / with a WebSocket handshake is upgraded (Upgrader with 1 KiB read and
// write buffers, as in gorilla's chat example, and a sync.Pool of write
// buffers, which its documentation recommends for many connections with a
// modest volume of writes). The handler then hands the connection to its
// own goroutine(s) and returns, so that net/http's per-request state can be
// collected (as the chat example does). -mode chooses what the connections
// get:
//
//   - echo: a reader goroutine per connection sends every data message back
//     (ReadMessage, WriteMessage with the same type): it is the only writer;
//   - idle: a reader goroutine per connection, blocked in ReadMessage;
//   - broadcast: a reader goroutine (it discards what arrives and ends the
//     connection on error) and a writer goroutine per connection, which
//     owns all writes (gorilla allows one concurrent writer). A broadcaster
//     encodes each message once (websocket.PreparedMessage) and hands it to
//     every connection's buffered channel (64) without blocking; a client
//     whose channel is full is too slow and is disconnected rather than
//     holding up the others. POST /publish, on a second listener, publishes
//     one text message whose data is "<n> <unix ns>": n counts 1, 2, 3...
//     and the time is that of the publish (time.Now().UnixNano()).
//
// It prints "LISTENING <websocket addr> publish=<http addr>" on stdout once
// both listeners are bound. -pprof host:port serves net/http/pprof on a
// separate listener.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/workerman-go/workerman/bench/internal/pprofserve"
)

// queueLen is each client's channel capacity: the messages it may fall
// behind by before it is disconnected.
const queueLen = 64

var upgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 1024,
	WriteBufferPool: &sync.Pool{},
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address of the WebSocket server (port 0: any free port)")
	mode := flag.String("mode", "echo", "what the connections get: echo, idle or broadcast")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this address (off by default)")
	flag.Parse()
	switch *mode {
	case "echo", "idle", "broadcast":
	default:
		fmt.Fprintf(os.Stderr, "wsgorilla: unknown -mode %q (echo, idle, broadcast)\n", *mode)
		os.Exit(2)
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wsgorilla: -listen:", err)
		os.Exit(2)
	}
	pprofserve.Start("wsgorilla", *pprofAddr)

	b := newBroadcaster()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return // Upgrade has answered with an HTTP error
		}
		switch *mode {
		case "echo":
			go echo(conn)
		case "idle":
			go discard(conn, nil)
		case "broadcast":
			c := b.subscribe(conn)
			go c.writePump()
			go discard(conn, func() { b.unsubscribe(c) })
		}
	})
	pubMux := http.NewServeMux()
	pubMux.HandleFunc("POST /publish", func(w http.ResponseWriter, r *http.Request) {
		if *mode != "broadcast" {
			http.Error(w, "not in broadcast mode", http.StatusNotFound)
			return
		}
		if err := b.publish(time.Now().UnixNano()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write([]byte("ok\n"))
	})

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wsgorilla:", err)
		os.Exit(1)
	}
	pln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "wsgorilla: publish:", err)
		os.Exit(1)
	}
	go func() {
		if err := http.Serve(pln, pubMux); err != nil {
			fmt.Fprintln(os.Stderr, "wsgorilla: publish:", err)
			os.Exit(1)
		}
	}()
	fmt.Println("LISTENING", ln.Addr(), "publish="+pln.Addr().String())
	if err := http.Serve(ln, mux); err != nil {
		fmt.Fprintln(os.Stderr, "wsgorilla:", err)
		os.Exit(1)
	}
}

// echo sends every data message back until the connection ends.
func echo(conn *websocket.Conn) {
	defer conn.Close()
	for {
		mt, p, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if err := conn.WriteMessage(mt, p); err != nil {
			return
		}
	}
}

// discard reads (and drops) messages until the connection ends, then runs
// done.
func discard(conn *websocket.Conn, done func()) {
	defer conn.Close()
	if done != nil {
		defer done()
	}
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			return
		}
	}
}

// client is one subscriber of the broadcaster.
type client struct {
	conn   *websocket.Conn
	send   chan *websocket.PreparedMessage
	kicked chan struct{}
	once   sync.Once
}

// kick disconnects a client; its goroutines end.
func (c *client) kick() {
	c.once.Do(func() {
		close(c.kicked)
		c.conn.Close()
	})
}

// writePump is the connection's only writer: it writes what the
// broadcaster queues until the client is kicked or a write fails.
func (c *client) writePump() {
	defer c.kick()
	for {
		select {
		case <-c.kicked:
			return
		case pm := <-c.send:
			if err := c.conn.WritePreparedMessage(pm); err != nil {
				return
			}
		}
	}
}

// broadcaster hands every published message to every client.
type broadcaster struct {
	mu   sync.Mutex // also keeps publishes in order
	seq  uint64
	subs map[*client]struct{}
}

func newBroadcaster() *broadcaster { return &broadcaster{subs: map[*client]struct{}{}} }

func (b *broadcaster) subscribe(conn *websocket.Conn) *client {
	c := &client{conn: conn, send: make(chan *websocket.PreparedMessage, queueLen), kicked: make(chan struct{})}
	b.mu.Lock()
	b.subs[c] = struct{}{}
	b.mu.Unlock()
	return c
}

func (b *broadcaster) unsubscribe(c *client) {
	b.mu.Lock()
	delete(b.subs, c)
	b.mu.Unlock()
	c.kick()
}

// publish encodes one message, once, and queues it for every client.
func (b *broadcaster) publish(now int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	data := strconv.AppendUint(nil, b.seq, 10)
	data = append(data, ' ')
	data = strconv.AppendInt(data, now, 10)
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, data)
	if err != nil {
		return err
	}
	for c := range b.subs {
		select {
		case c.send <- pm:
		default:
			c.kick() // too slow: disconnected
		}
	}
	return nil
}
