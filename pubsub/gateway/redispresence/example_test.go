package redispresence_test

import (
	"log/slog"
	"time"

	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/pubsub/gateway"
	"github.com/workerman-go/workerman/pubsub/gateway/redispresence"
	"github.com/workerman-go/workerman/pubsub/redisbroker"
)

// A Gateway for a cluster: every process makes the same three things on
// the same Redis. What one process sends to a uid reaches the uid's
// connections in all of them, and IsUidOnline sees them all; the users of
// a process that crashes are offline within the TTL.
func Example() {
	broker, err := redisbroker.New(redisbroker.Options{Addrs: []string{"127.0.0.1:6379"}, KeyPrefix: "chat:"})
	if err != nil {
		panic(err)
	}
	defer broker.Close()
	hub := pubsub.NewHub(pubsub.Options{Broker: broker})
	defer hub.Close()

	presence, err := redispresence.New(broker, redispresence.Options{})
	if err != nil {
		panic(err)
	}
	g, err := gateway.New(hub, gateway.Options{
		Presence:    presence,
		PresenceTTL: 30 * time.Second, // the same in every process
	})
	if err != nil {
		panic(err)
	}
	defer func() {
		if err := g.Close(); err != nil { // the users of this process go offline at once
			slog.Error("gateway close", "err", err)
		}
	}()
	// Register connections and send as in package gateway's Example.
}
