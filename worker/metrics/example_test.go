package metrics_test

import (
	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/worker"
	"github.com/workerman-go/workerman/worker/metrics"
)

// Importing the package adds -metrics to the command line:
//
//	program -metrics 127.0.0.1:9100 start
//
// serves /metrics (the Workers, and the Hub registered here), /healthz,
// /readyz and the live status page /status on 127.0.0.1:9100.
func Example() {
	hub := pubsub.NewHub(pubsub.Options{})
	metrics.RegisterHub("news", hub)
	w := worker.New("http://0.0.0.0:8080", http.Protocol())
	w.OnMessage = func(c *connection.Conn, r *http.Request) { c.Send("hello") }
	worker.RunAll()
}
