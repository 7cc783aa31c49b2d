package publishapi_test

import (
	"bytes"
	"fmt"
	"log"
	nethttp "net/http"
	"os"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/pubsub/publishapi"
	"github.com/workerman-go/workerman/worker"
)

// A push server whose messages come from a PHP (or any) backend: browsers
// listen on GET /events with EventSource, the backend POSTs signed JSON to
// /publish.
func Example() {
	hub := pubsub.NewHub(pubsub.Options{}) // or a redisbroker.Broker, shared by several processes
	api, err := publishapi.New(publishapi.Options{
		Hub:    hub,
		Secret: []byte(os.Getenv("PUBLISH_SECRET")), // shared with the backends
		// Targets: gw, // a gateway, for {"uid": ...} and {"group": ...}
	})
	if err != nil {
		log.Fatal(err) // PUBLISH_SECRET is empty
	}

	// The worker refuses bodies above the API's limit before reading them.
	w := worker.New("http://0.0.0.0:8080", http.ProtocolWith(http.Config{
		Limits: http.Limits{MaxBodyBytes: publishapi.DefaultMaxBodyBytes},
	}))
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		if api.Serve(c, r) {
			return // POST /publish: answered (from a goroutine, once published)
		}
		if r.Path == "/events" {
			s, err := sse.Start(c, r, sse.Options{})
			if err != nil {
				return
			}
			if _, err := hub.Subscribe(c, "news", pubsub.SSE, pubsub.SubscribeOptions{After: s.LastEventID()}); err != nil {
				s.Close()
			}
			return
		}
		c.Send(http.NewResponse(404, "not found\n"))
	}
	worker.RunAll()
}

// A Go backend signs its request with Sign; the timestamp is the time it
// is sent (here a fixed one, for the output).
func ExampleSign() {
	secret := []byte("s3cr3t")
	body := []byte(`{"topic":"news","data":"hello"}`)
	req, err := nethttp.NewRequest("POST", "http://127.0.0.1:8080/publish", bytes.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(publishapi.SignatureHeader, publishapi.Sign(secret, body, time.Unix(1700000000, 0)))
	// nethttp.DefaultClient.Do(req) sends it: {"id": "..."} comes back.
	fmt.Println(req.Header.Get("X-Signature"))
	// Output: t=1700000000,v1=775bcf7019a8c4ab5e30b49befe1219149e48ee16c82e456049cc2f810d0c52d
}
