package redisbroker

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/workerman-go/workerman/pubsub"
)

// Broker is a pubsub.Broker on Redis. Make one with New; Close it.
type Broker struct {
	opts   Options
	shards []*shard

	mu     sync.Mutex
	closed bool
	feeds  map[*feed]struct{}
}

// shard is one Redis server.
type shard struct {
	b      *Broker
	client *redis.Client
}

// New returns a broker on the Redis servers of opts. It does not connect:
// connections are made when needed, and a Redis that is down makes
// Publish and History fail (pubsub.ErrUnavailable) and live delivery wait
// until it is back. It fails only for options that cannot work.
func New(opts Options) (*Broker, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	b := &Broker{opts: opts, feeds: map[*feed]struct{}{}}
	for _, addr := range opts.Addrs {
		c := redis.NewClient(&redis.Options{
			Addr:      addr,
			Username:  opts.Username,
			Password:  opts.Password,
			DB:        opts.DB,
			TLSConfig: opts.TLS,
			PoolSize:  opts.PoolSize,
		})
		b.shards = append(b.shards, &shard{b: b, client: c})
	}
	return b, nil
}

// shardOf returns the shard that holds key: FNV-1a of the key, modulo the
// number of shards.
func (b *Broker) shardOf(key string) *shard {
	if len(b.shards) == 1 {
		return b.shards[0]
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	return b.shards[h.Sum32()%uint32(len(b.shards))]
}

// Client returns the Redis client of the shard that holds key (a key name
// without the prefix is fine: only its hash counts), for an application's
// own data next to the broker's. Do not close it.
func (b *Broker) Client(key string) *redis.Client { return b.shardOf(key).client }

// KeyPrefix is the prefix of the broker's keys (Options.KeyPrefix).
func (b *Broker) KeyPrefix() string { return b.opts.KeyPrefix }

// Ping checks that every server answers.
func (b *Broker) Ping(ctx context.Context) error {
	var errs []error
	for _, s := range b.shards {
		if err := s.client.Ping(ctx).Err(); err != nil {
			errs = append(errs, fmt.Errorf("redisbroker: ping %s: %w: %w", s.client.Options().Addr, pubsub.ErrUnavailable, err))
		}
	}
	return errors.Join(errs...)
}

// Close implements pubsub.Broker: the feeds stop, the connections close.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	feeds := b.feeds
	b.feeds = nil
	b.mu.Unlock()
	var errs []error
	for f := range feeds {
		f.Close()
	}
	for _, s := range b.shards {
		if err := s.client.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("redisbroker: close: %w", err)
	}
	return nil
}

// Publish implements pubsub.Broker.
func (b *Broker) Publish(ctx context.Context, m pubsub.Message) (pubsub.Message, error) {
	return pubsub.Message{}, errors.New("redisbroker: not yet")
}

// History implements pubsub.Broker.
func (b *Broker) History(ctx context.Context, topic, after string, limit int) ([]pubsub.Message, error) {
	return nil, errors.New("redisbroker: not yet")
}

// Attach implements pubsub.Broker.
func (b *Broker) Attach(h pubsub.Handler) pubsub.Feed {
	return &feed{b: b, h: h}
}

type feed struct {
	b *Broker
	h pubsub.Handler
}

func (f *feed) Watch(topic string)   {}
func (f *feed) Unwatch(topic string) {}
func (f *feed) Close() error         { return nil }
