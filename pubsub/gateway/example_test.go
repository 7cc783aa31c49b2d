package gateway_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/pubsub/gateway"
	"github.com/workerman-go/workerman/worker"
)

// A GatewayWorker-style chat over WebSocket. Each connection is told its
// client id; "login <name>" binds it to a uid, "join <room>" puts it in a
// group, "say <room> <text>" and "tell <name> <text>" send, "online
// <name>" asks whether a user is connected anywhere.
//
// The sends from OnMessage are the ...Async forms: they never block the
// event loop. The question is asked from a goroutine (IsUidOnline blocks
// on the presence store, a Redis round trip in a cluster) and the answer
// sent from there: c.Send is safe anywhere.
func Example() {
	// One process: the Hub's own broker and the in-memory presence. For a
	// cluster, see package redispresence.
	hub := pubsub.NewHub(pubsub.Options{NoReplay: true})
	g, err := gateway.New(hub, gateway.Options{})
	if err != nil {
		panic(err)
	}

	w := worker.New("websocket://0.0.0.0:8282", websocket.Protocol(websocket.Options{
		OnWebSocketConnected: func(c *connection.Conn, _ *http.Request) {
			id, err := g.Register(c)
			if err != nil {
				c.Close()
				return
			}
			c.Send(`{"type":"init","client_id":"` + id + `"}`)
		},
	}))
	w.OnMessage = func(c *connection.Conn, m websocket.Message) {
		cmd, rest, _ := strings.Cut(string(m.Payload), " ")
		var err error
		switch cmd {
		case "login": // Gateway::bindUid
			err = g.BindUid(c, rest)
		case "join": // Gateway::joinGroup
			err = g.JoinGroup(c, rest)
		case "say": // Gateway::sendToGroup, the sender excluded
			room, text, _ := strings.Cut(rest, " ")
			err = g.SendToGroupAsync(room, g.Uid(c)+": "+text, g.ClientID(c))
		case "tell": // Gateway::sendToUid
			to, text, _ := strings.Cut(rest, " ")
			err = g.SendToUidAsync(to, g.Uid(c)+" (private): "+text)
		case "online": // Gateway::isUidOnline, off the loop
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				online, err := g.IsUidOnline(ctx, rest)
				if err != nil {
					c.Send("error: " + err.Error())
					return
				}
				c.Send(fmt.Sprintf("%s online: %v", rest, online))
			}()
		}
		if err != nil { // an invalid name, a full queue: tell the client
			c.Send("error: " + err.Error())
		}
	}
	w.OnWorkerStop = func(*worker.Worker[websocket.Message]) {
		if err := g.Close(); err != nil {
			slog.Error("gateway close", "err", err)
		}
	}
	_ = w // worker.RunAll() runs it
}
