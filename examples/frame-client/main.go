// Command frame-client is a client that stays connected: an AsyncConn that
// talks to a frame:// server, sends a numbered message every second, prints
// the replies, and reconnects a second after the server goes away.
//
// Run as it is, it needs nothing else: the same process also runs a frame://
// echo server on -listen (127.0.0.1:2347), and the client connects to it.
//
//	go run ./examples/frame-client
//
// To watch it reconnect, run the server and a client-only copy apart, then
// stop the server (Ctrl+C) and start it again:
//
//	go run ./examples/frame-client                 # server, and a client of its own
//	go run ./examples/frame-client -serve=false    # another terminal: only a client
//
// Flags:
//
//	-listen host:port   where the local server listens (default 127.0.0.1:2347)
//	-server host:port   where the client connects (default: the -listen address)
//	-serve=false        run the client only, with no local server
//
// The flags are defined on worker.Flags, next to the worker package's own
// (-listen, -pidfile, -logfile), so that "frame-client stop" and
// "frame-client status" work as for any Worker program, and a detached
// instance ("start -d") is started again with the same flags.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/frame"
	"github.com/workerman-go/workerman/worker"
)

func main() {
	server := worker.Flags.String("server", "", "`host:port` the client connects to (default: the -listen address)")
	serve := worker.Flags.Bool("serve", true, "also run the frame:// echo server on -listen")
	worker.ParseFlags() // exits on -h and on a bad flag
	listen := "127.0.0.1:2347"
	if l := worker.Flags.Lookup("listen").Value.String(); l != "" {
		listen = l
	}
	if *server != "" {
		if _, _, err := net.SplitHostPort(*server); err != nil {
			log.Fatalf("-server: %v", err)
		}
	}

	if !*serve {
		if worker.Flags.NArg() > 0 {
			log.Fatalf("%q: commands are for the server; there is none with -serve=false", worker.Flags.Arg(0))
		}
		if *server == "" {
			*server = listen
		}
		runClientOnly(*server)
		return
	}

	// The local server: an echo Worker. Its OnWorkerStart starts the client,
	// so the client runs only in the process that serves, not in one that
	// runs "stop" or "status", and only once the server listens.
	var client atomic.Pointer[connection.AsyncConn[[]byte]]
	var stopping atomic.Bool
	w := worker.New("frame://"+listen, frame.Protocol())
	w.Name = "frame-echo"
	w.Count = 1
	// Every echo must find room in the send buffer (1 MiB): the framework
	// stops reading a client while the echoes queued for it fill half of
	// it, so messages of at most 64 KiB lose nothing.
	w.MaxPackageSize = 64 << 10
	w.OnMessage = func(c *connection.Conn, msg []byte) {
		c.Send("echo: " + string(msg))
	}
	w.OnWorkerStart = func(w *worker.Worker[[]byte]) {
		to := *server
		if to == "" {
			to = w.Addr() // where it listens: the real port if -listen said 0
		}
		ac, err := startClient(to, &stopping)
		if err != nil {
			log.Fatal(err)
		}
		client.Store(ac)
	}
	w.OnWorkerStop = func(*worker.Worker[[]byte]) {
		stopping.Store(true) // the server is going away: no reconnect
		if ac := client.Load(); ac != nil {
			ac.Close()
		}
	}
	worker.RunAll()
}

// startClient connects to server (host:port) in the background and keeps
// the connection up until stopping is set.
func startClient(server string, stopping *atomic.Bool) (*connection.AsyncConn[[]byte], error) {
	ac, err := connection.NewAsync("frame://"+server, frame.Protocol())
	if err != nil {
		return nil, err
	}
	var sent atomic.Int64 // numbers go on across reconnects
	ac.OnConnect = func(c *connection.Conn) {
		log.Printf("connected to %s", c.RemoteAddr())
		// A connection timer runs on the connection's loop and ends with
		// the connection, so every new connection starts its own.
		c.Every(time.Second, func() {
			c.Send(fmt.Sprintf("message %d", sent.Add(1)))
		})
	}
	ac.OnMessage = func(c *connection.Conn, msg []byte) {
		log.Printf("reply: %s", msg)
	}
	ac.OnError = func(c *connection.Conn, err error) {
		log.Printf("error: %v", err)
	}
	// OnClose runs when the connection closes and after a failed connect:
	// either way, try again in a second. The *Conn stays the same.
	ac.OnClose = func(c *connection.Conn) {
		if stopping.Load() {
			return
		}
		log.Printf("disconnected; reconnecting in 1s")
		ac.Reconnect(time.Second)
	}
	ac.Connect()
	return ac, nil
}

// runClientOnly runs the client until SIGINT or SIGTERM.
func runClientOnly(server string) {
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	var stopping atomic.Bool
	ac, err := startClient(server, &stopping)
	if err != nil {
		log.Fatal(err)
	}
	<-ctx.Done()
	stopping.Store(true)
	ac.Close()
}
