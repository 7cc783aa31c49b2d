package connection_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net"
	"sync/atomic"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/frame"
	"github.com/workerman-go/workerman/protocols/tcp"
	"github.com/workerman-go/workerman/protocols/text"
	"github.com/workerman-go/workerman/worker"
)

// A client connection with the same callbacks as a server's. Here it talks
// to a frame:// echo server started for the example.
func ExampleAsyncConn() {
	server := worker.New("frame://127.0.0.1:0", frame.Protocol())
	server.OnMessage = func(c *connection.Conn, msg []byte) { c.Send("echo: " + string(msg)) }
	if err := server.Start(context.Background()); err != nil {
		log.Fatal(err)
	}
	defer server.Stop(context.Background())

	ac, err := connection.NewAsync("frame://"+server.Addr(), frame.Protocol())
	if err != nil {
		log.Fatal(err)
	}
	closed := make(chan struct{})
	ac.OnConnect = func(c *connection.Conn) { fmt.Println("connected") }
	ac.OnMessage = func(c *connection.Conn, msg []byte) {
		fmt.Printf("reply: %s\n", msg)
		c.Close()
	}
	ac.OnError = func(c *connection.Conn, err error) { fmt.Println("error:", err) }
	ac.OnClose = func(c *connection.Conn) { close(closed) }
	ac.Connect()
	ac.Send("hello") // queued until the connection is established
	<-closed
	fmt.Println("closed")
	// Output:
	// connected
	// reply: echo: hello
	// closed
}

// A client that stays connected: OnClose runs when the connection closes
// and also when a connect fails, so reconnecting from it retries for as long
// as the server is away. OnConnect runs again on every new connection, with
// the same *Conn.
func ExampleAsyncConn_Reconnect() {
	ac, err := connection.NewAsync("text://127.0.0.1:2346", text.Protocol())
	if err != nil {
		log.Fatal(err)
	}
	// To give up: stopping.Store(true), then ac.Close(). (The callbacks of a
	// failed connect run on the goroutine that dialled, so the flag is an
	// atomic.)
	var stopping atomic.Bool
	ac.OnConnect = func(c *connection.Conn) { c.Send("hello again") }
	ac.OnMessage = func(c *connection.Conn, line string) { fmt.Println(line) }
	ac.OnError = func(c *connection.Conn, err error) { log.Print(err) }
	ac.OnClose = func(c *connection.Conn) {
		if !stopping.Load() {
			ac.Reconnect(time.Second)
		}
	}
	ac.Connect()
}

// A connection timer: it runs on the connection's loop, like its other
// callbacks, and is cancelled when the connection closes. Here the server
// counts down to the client, then stops the timer and closes.
func ExampleConn_Every() {
	server := worker.New("text://127.0.0.1:0", text.Protocol())
	server.OnConnect = func(c *connection.Conn) {
		n := 3
		var t *connection.Timer
		t = c.Every(10*time.Millisecond, func() {
			c.Send(fmt.Sprint(n))
			if n--; n == 0 {
				t.Stop() // or let Close cancel it
				c.Close("liftoff")
			}
		})
	}
	if err := server.Start(context.Background()); err != nil {
		log.Fatal(err)
	}
	defer server.Stop(context.Background())

	conn, err := net.Dial("tcp", server.Addr())
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	lines := bufio.NewScanner(conn)
	for lines.Scan() {
		fmt.Println(lines.Text())
	}
	// Output:
	// 3
	// 2
	// 1
	// liftoff
}

// A TCP proxy: every client connection gets its own connection to the
// backend, and Pipe copies the bytes both ways, with backpressure, and
// closes each side when the other closes.
func ExampleConn_Pipe() {
	const backend = "tcp://127.0.0.1:8080"
	proxy := worker.New("tcp://0.0.0.0:8000", tcp.Protocol())
	proxy.OnConnect = func(client *connection.Conn) {
		ac, err := connection.NewAsync(backend, tcp.Protocol())
		if err != nil {
			client.Close()
			return
		}
		// client → backend. Pipe is set from the piped connection's own
		// callback (here the client's OnConnect), before its first message.
		// ac.Conn exists before it connects; what it is sent meanwhile is
		// queued.
		client.Pipe(ac.Conn)
		// backend → client, from the backend connection's OnConnect.
		ac.OnConnect = func(b *connection.Conn) { b.Pipe(client) }
		// A connect that fails ends the client's connection too.
		ac.OnClose = func(*connection.Conn) { client.Close() }
		ac.Connect()
	}
	worker.RunAll()
}
