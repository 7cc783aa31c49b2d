package redisbroker

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

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
			// Never again by itself: a publish whose reply was lost
			// may have been published, and must not be twice.
			MaxRetries:      -1,
			DisableIdentity: true,
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

// Publish implements pubsub.Broker: it appends m to its topic's stream
// and publishes it to the live readers of every process, in one script.
// The broker makes the id (the stream entry's, "<ms>-<n>"): m.ID must be
// empty. A Redis that cannot be reached gives an error wrapping
// pubsub.ErrUnavailable; the message was then not published (or, when the
// reply was lost, published without the caller knowing: it is not sent
// twice).
func (b *Broker) Publish(ctx context.Context, m pubsub.Message) (pubsub.Message, error) {
	if m.ID != "" {
		return pubsub.Message{}, fmt.Errorf("redisbroker: publish on %q: the broker makes the ids, Message.ID must be empty (it is %q)", m.Topic, m.ID)
	}
	if err := b.checkOpen("publish on " + m.Topic); err != nil {
		return pubsub.Message{}, err
	}
	s := b.shardOf(m.Topic)
	keep := b.opts.retention(m.Topic)
	id, err := publishScript.Run(ctx, s.client, []string{b.streamKey(m.Topic)},
		b.channel(m.Topic), keep.Count, keep.Age.Milliseconds(), keep.KeyTTL.Milliseconds(),
		m.Event, m.Data, 1+rand.Int32N(1<<31-1)).Text()
	if err != nil {
		return pubsub.Message{}, b.redisError("publish on "+m.Topic, err)
	}
	sid, ok := parseID(id)
	if !ok {
		return pubsub.Message{}, fmt.Errorf("redisbroker: publish on %q: Redis answered the id %q", m.Topic, id)
	}
	m.ID, m.Seq, m.Time = id, sid.seq(), time.UnixMilli(int64(sid.ms))
	return m, nil
}

// History implements pubsub.Broker, from the topic's stream. An after that
// is not an id of the stream's entries, or after which entries were
// trimmed (or lost by Redis), is a gap (pubsub.ErrGap).
func (b *Broker) History(ctx context.Context, topic, after string, limit int) ([]pubsub.Message, error) {
	if after != "" {
		if _, ok := parseID(after); !ok || after == "0-0" {
			return nil, fmt.Errorf("redisbroker: history of %q after %q: not an id of this broker: %w", topic, after, pubsub.ErrGap)
		}
	}
	if err := b.checkOpen("history of " + topic); err != nil {
		return nil, err
	}
	res, err := b.readRange(ctx, b.shardOf(topic).client, topic, after, max(limit, 0))
	if err != nil {
		return nil, b.redisError("history of "+topic, err)
	}
	if res.status != "ok" {
		return nil, fmt.Errorf("redisbroker: history of %q after %q: %s: %w", topic, after, gapReason(res.status), pubsub.ErrGap)
	}
	out := make([]pubsub.Message, len(res.entries))
	for i, e := range res.entries {
		out[i] = e.message(topic)
	}
	return out, nil
}

// readRange runs rangeScript on topic's stream.
func (b *Broker) readRange(ctx context.Context, c redis.Scripter, topic, pos string, count int) (rangeResult, error) {
	v, err := rangeScript.Run(ctx, c, []string{b.streamKey(topic)}, pos, count).Result()
	if err != nil {
		return rangeResult{}, err
	}
	return decodeRange(v)
}

// gapReason says in words what rangeScript's status means.
func gapReason(status string) string {
	switch status {
	case "missing":
		return "the topic's stream is gone (expired, or lost by Redis)"
	case "ahead":
		return "newer than the topic's newest message (from an earlier life of the stream)"
	case "trimmed":
		return "messages after it are no longer kept"
	case "unknown":
		return "no such message"
	}
	return status
}

// message makes the pubsub message of a stream entry.
func (e entry) message(topic string) pubsub.Message {
	return pubsub.Message{Topic: topic, Seq: e.id.seq(), ID: e.id.String(), Event: e.event, Data: e.data, Time: time.UnixMilli(int64(e.id.ms))}
}

// streamKey is the key of topic's stream.
func (b *Broker) streamKey(topic string) string { return b.opts.KeyPrefix + "s:" + topic }

// channel is topic's channel. Channels are not per database in Redis:
// the name carries the database.
func (b *Broker) channel(topic string) string {
	return b.opts.KeyPrefix + "c" + strconv.Itoa(b.opts.DB) + ":" + topic
}

// checkOpen fails on a closed broker.
func (b *Broker) checkOpen(op string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("redisbroker: %s: %w", op, pubsub.ErrClosed)
	}
	return nil
}

// redisError gives err its context: an error of Redis itself (a reply)
// as it is, any other (no connection, a timeout) as pubsub.ErrUnavailable.
func (b *Broker) redisError(op string, err error) error {
	var rerr redis.Error
	if errors.As(err, &rerr) && !strings.HasPrefix(err.Error(), "LOADING") && !strings.HasPrefix(err.Error(), "BUSY") {
		return fmt.Errorf("redisbroker: %s: %w", op, err)
	}
	if errors.Is(err, redis.ErrClosed) && b.checkOpen("") != nil {
		return fmt.Errorf("redisbroker: %s: %w", op, pubsub.ErrClosed)
	}
	return fmt.Errorf("redisbroker: %s: %w: %w", op, pubsub.ErrUnavailable, err)
}

// Attach implements pubsub.Broker. Each shard on which the feed watches
// topics has one connection that receives their messages (Redis pub/sub),
// and catches up from the topic's stream whenever it subscribes (a
// reconnection included).
func (b *Broker) Attach(h pubsub.Handler) pubsub.Feed {
	return b.newFeed(h)
}
