// Command text-chat is Workerman's classic chat: every line a client sends
// goes to every connected client.
//
// A client that does not read what the others say fills its send buffer
// (1 MiB); a broadcast cannot wait for it, so it is disconnected (OnError,
// on ErrSendBufferFull) rather than left to miss lines: it can reconnect.
//
//	go run ./examples/text-chat -listen 127.0.0.1:2346
//	nc 127.0.0.1 2346   # in two terminals, then type
package main

import (
	"errors"
	"fmt"
	"log"
	"sync"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/text"
	"github.com/workerman-go/workerman/worker"
)

func main() {
	var (
		mu      sync.Mutex // callbacks of different connections run on different loops
		clients = map[*connection.Conn]struct{}{}
	)
	broadcast := func(line string) {
		mu.Lock()
		defer mu.Unlock()
		for c := range clients {
			c.Send(line) // safe from any loop: handed to c's own loop
		}
	}

	w := worker.New("text://0.0.0.0:2346", text.Protocol())
	w.Name = "text-chat"
	w.OnConnect = func(c *connection.Conn) {
		mu.Lock()
		clients[c] = struct{}{}
		mu.Unlock()
		c.Send(fmt.Sprintf("welcome, you are user %d", c.ID()))
		broadcast(fmt.Sprintf("user %d joined", c.ID()))
	}
	w.OnMessage = func(c *connection.Conn, line string) {
		broadcast(fmt.Sprintf("user %d: %s", c.ID(), line))
	}
	w.OnError = func(c *connection.Conn, err error) {
		if errors.Is(err, connection.ErrSendBufferFull) {
			log.Printf("user %d does not keep up with the chat: disconnected", c.ID())
			c.Destroy()
			return
		}
		log.Printf("user %d: %v", c.ID(), err)
	}
	w.OnClose = func(c *connection.Conn) {
		mu.Lock()
		delete(clients, c)
		mu.Unlock()
		broadcast(fmt.Sprintf("user %d left", c.ID()))
	}
	worker.RunAll()
}
