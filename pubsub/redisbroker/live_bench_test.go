package redisbroker_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/workerman-go/workerman/internal/testutil"
)

// BenchmarkLiveDelivery compares the two ways a process can receive the
// live messages of the topics it watches, by what they cost Redis per
// message delivered, with one topic active among many watched:
//
//   - pubsub: the broker's way, one connection subscribed to a channel per
//     topic, messages published to the active topic's channel;
//   - xread: one connection blocked in XREAD on every watched stream, read
//     again after every batch with the position of each.
//
// go test -run '^$' -bench LiveDelivery ./pubsub/redisbroker/
func BenchmarkLiveDelivery(b *testing.B) {
	for _, watched := range []int{1, 1000, 10000} {
		b.Run("pubsub/topics="+strconv.Itoa(watched), func(b *testing.B) { benchPubSub(b, watched) })
		b.Run("xread/topics="+strconv.Itoa(watched), func(b *testing.B) { benchXRead(b, watched) })
	}
}

func benchClients(b *testing.B) (pub, sub *redis.Client) {
	r := testutil.StartRedis(b)
	pub = redis.NewClient(&redis.Options{Addr: r.Addr})
	sub = redis.NewClient(&redis.Options{Addr: r.Addr})
	b.Cleanup(func() { pub.Close(); sub.Close() })
	return pub, sub
}

// redisCPU is the CPU time Redis used so far.
func redisCPU(b *testing.B, c *redis.Client) time.Duration {
	info, err := c.Info(ctx, "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(info, "\r\n") {
		k, v, _ := strings.Cut(line, ":")
		if k == "used_cpu_sys" || k == "used_cpu_user" {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
}

func benchPubSub(b *testing.B, watched int) {
	pub, sub := benchClients(b)
	channels := make([]string, watched)
	for i := range channels {
		channels[i] = "c" + strconv.Itoa(i)
	}
	ps := sub.Subscribe(ctx, channels...)
	defer ps.Close()
	for range watched {
		if _, err := ps.Receive(ctx); err != nil { // the confirmations
			b.Fatal(err)
		}
	}
	got := make(chan struct{}, 1024)
	go func() {
		for {
			if _, err := ps.ReceiveMessage(context.Background()); err != nil {
				return
			}
			got <- struct{}{}
		}
	}()
	cpu := redisCPU(b, pub)
	b.ResetTimer()
	for range b.N {
		if err := pub.Publish(ctx, "c0", "hello").Err(); err != nil {
			b.Fatal(err)
		}
		<-got
	}
	b.StopTimer()
	b.ReportMetric(float64(redisCPU(b, pub)-cpu)/float64(b.N)/1e3, "redis-µs/msg")
}

func benchXRead(b *testing.B, watched int) {
	pub, sub := benchClients(b)
	keys := make([]string, watched)
	pos := make([]string, watched)
	for i := range keys {
		keys[i] = "s" + strconv.Itoa(i)
		id, err := pub.XAdd(ctx, &redis.XAddArgs{Stream: keys[i], Values: []string{"d", "x"}}).Result()
		if err != nil {
			b.Fatal(err)
		}
		pos[i] = id
	}
	got := make(chan struct{}, 1024)
	go func() {
		for {
			res, err := sub.XRead(context.Background(), &redis.XReadArgs{Streams: append(append([]string(nil), keys...), pos...), Block: 0}).Result()
			if err != nil {
				return
			}
			for _, st := range res {
				i, _ := strconv.Atoi(strings.TrimPrefix(st.Stream, "s"))
				for _, m := range st.Messages {
					pos[i] = m.ID
					got <- struct{}{}
				}
			}
		}
	}()
	cpu := redisCPU(b, pub)
	b.ResetTimer()
	for range b.N {
		if err := pub.XAdd(ctx, &redis.XAddArgs{Stream: "s0", Values: []string{"d", "hello"}}).Err(); err != nil {
			b.Fatal(err)
		}
		<-got
	}
	b.StopTimer()
	b.ReportMetric(float64(redisCPU(b, pub)-cpu)/float64(b.N)/1e3, "redis-µs/msg")
}
