package redisbroker_test

import (
	"context"
	"errors"
	"log"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/pubsub/redisbroker"
	"github.com/workerman-go/workerman/worker"
)

// Every process of the service makes its Hub on the same Redis: a message
// published by any of them reaches the streams of all, and a browser that
// reconnects to another process resumes from its Last-Event-ID.
func Example() {
	broker, err := redisbroker.New(redisbroker.Options{Addrs: []string{"127.0.0.1:6379"}, KeyPrefix: "news:"})
	if err != nil {
		log.Fatal(err)
	}
	hub := pubsub.NewHub(pubsub.Options{Broker: broker})

	w := worker.New("http://0.0.0.0:8080", http.Protocol())
	w.ReusePort = true // several processes on one address
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		switch {
		case r.AcceptsEventStream():
			s, err := sse.Start(c, r, sse.Options{})
			if err != nil {
				return
			}
			if _, err := hub.Subscribe(c, "news", pubsub.SSE, pubsub.SubscribeOptions{
				After: s.LastEventID(),
				OnGap: func(error) { s.Send(sse.Event{Event: "reload"}) }, // missed more than Redis keeps
			}); err != nil {
				c.Close()
			}
		case r.Method == "POST":
			body := string(r.Body)
			// Publish blocks on Redis: not on the event loop.
			go func() {
				m, err := hub.Publish(context.Background(), "news", pubsub.Message{Data: body})
				switch {
				case errors.Is(err, pubsub.ErrUnavailable):
					c.Send(http.NewResponse(503, "try again later\n"))
				case err != nil:
					c.Send(http.NewResponse(500, err.Error()+"\n"))
				default:
					c.Send(m.ID + "\n")
				}
			}()
		}
	}
	worker.RunAll()
}
