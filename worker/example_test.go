package worker_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/text"
	"github.com/workerman-go/workerman/worker"
)

// A text chat, as in Workerman's documentation: every line a client sends
// goes to every connected client. Try it with nc in two terminals.
func ExampleNew() {
	var (
		mu      sync.Mutex // connections live on different loops
		clients = map[*connection.Conn]bool{}
	)
	broadcast := func(line string) {
		mu.Lock()
		defer mu.Unlock()
		for c := range clients {
			c.Send(line) // safe from any loop or goroutine
		}
	}

	// The scheme names the protocol; text.Protocol() makes the messages
	// strings, one per line.
	w := worker.New("text://0.0.0.0:2346", text.Protocol())
	w.Name = "chat"
	w.OnConnect = func(c *connection.Conn) {
		mu.Lock()
		clients[c] = true
		mu.Unlock()
		broadcast(fmt.Sprintf("user %d joined", c.ID()))
	}
	w.OnMessage = func(c *connection.Conn, line string) {
		broadcast(fmt.Sprintf("user %d: %s", c.ID(), line))
	}
	w.OnClose = func(c *connection.Conn) {
		mu.Lock()
		delete(clients, c)
		mu.Unlock()
		broadcast(fmt.Sprintf("user %d left", c.ID()))
	}
	// Runs every Worker made with New, with Workerman's command line:
	// start, start -d, stop, status.
	worker.RunAll()
}

// A Worker embedded in a larger program (or a test), without RunAll: Start
// returns once it listens, here on a port the system picks, and Stop closes
// it gracefully. Cancelling the context given to Start stops it as well, in
// the background.
func ExampleWorker_Start() {
	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.Count = 1
	w.OnMessage = func(c *connection.Conn, line string) {
		c.Send(strings.ToUpper(line))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := w.Start(ctx); err != nil {
		log.Fatal(err)
	}

	conn, err := net.Dial("tcp", w.Addr()) // the real port, not 0
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(conn, "hello")
	reply, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(reply)
	conn.Close()

	stopCtx, stopCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer stopCancel()
	if err := w.Stop(stopCtx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("stopped")
	// Output:
	// HELLO
	// stopped
}

// A Worker in a program with a life cycle of its own: Start it, then wait
// for whichever ends first, the program (here SIGINT or SIGTERM) or the
// Worker. A Worker whose engine stops by itself makes Wait return an error:
// exit non-zero so that a supervisor (systemd) restarts the process.
func ExampleWorker_Wait() {
	w := worker.New("text://127.0.0.1:2346", text.Protocol())
	w.OnMessage = func(c *connection.Conn, line string) { c.Send(line) }

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := w.Start(ctx); err != nil { // cancelling ctx stops the Worker
		log.Fatal(err)
	}
	<-w.Done()
	if err := w.Wait(); err != nil {
		log.Fatal(err)
	}
}

// The smallest server: a text:// Worker (one message per line) that answers
// every line, as in Workerman's first example.
func Example_firstServer() {
	w := worker.New("text://0.0.0.0:2346", text.Protocol()) // *worker.Worker[string]: typed by its protocol
	w.Count = 4                                             // event loops (default: the number of CPUs)
	w.OnMessage = func(c *connection.Conn, line string) {
		c.Send("you said: " + line) // safe from any goroutine
	}
	worker.RunAll() // start | start -d | stop | status, as in Workerman
}
