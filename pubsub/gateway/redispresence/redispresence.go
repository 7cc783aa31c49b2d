// Package redispresence stores a gateway.Presence in Redis, next to a
// redisbroker.Broker's data, so that every process of a cluster sees who
// is online in all of them.
//
// Each presence set is a sorted set, "<broker prefix><prefix><set>" (by
// default "wm:presence:gw:uid:alice"), on the broker's shard for that key
// (Broker.Client). A member's score is its deadline in Unix milliseconds:
// Refresh is one ZADD per set with all its members, a ZREMRANGEBYSCORE
// that drops the expired ones, and a PEXPIRE of the key to twice the TTL,
// pipelined per shard; Count is a ZCOUNT of the scores after now, Contains
// a ZSCORE, Members a ZRANGE BYSCORE (Redis 6.2 or later). So the entries
// of a process that crashed disappear, for every reader, when their
// deadline passes: within the TTL of their last refresh. The deadlines are
// written with the writer's clock and read with the reader's, so the
// bound is the TTL plus the difference between the two clocks: keep them
// synchronised (NTP), and use the same TTL in every process.
//
// What it is not: a store of anything but presence (no sessions), and it
// does not retry: the Gateway retries failed refreshes and logs them.
package redispresence

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/pubsub/gateway"
	"github.com/workerman-go/workerman/pubsub/redisbroker"
)

// DefaultKeyPrefix follows the broker's KeyPrefix in the keys of the
// presence sets.
const DefaultKeyPrefix = "presence:"

// Options configure a Presence.
type Options struct {
	// KeyPrefix follows the broker's own prefix in every key (default
	// DefaultKeyPrefix).
	KeyPrefix string
}

// Presence is a gateway.Presence in Redis. It is safe for concurrent use.
type Presence struct {
	b      *redisbroker.Broker
	prefix string
}

var _ gateway.Presence = (*Presence)(nil)

// New returns a Presence on b's Redis servers. It uses b's connections
// (closing b stops it) and does not connect by itself.
func New(b *redisbroker.Broker, opts Options) (*Presence, error) {
	if b == nil {
		return nil, errors.New("redispresence: no broker")
	}
	if opts.KeyPrefix == "" {
		opts.KeyPrefix = DefaultKeyPrefix
	}
	return &Presence{b: b, prefix: b.KeyPrefix() + opts.KeyPrefix}, nil
}

// Key returns the Redis key of a presence set.
func (p *Presence) Key(set string) string { return p.prefix + set }

// Refresh implements gateway.Presence: one pipeline per shard.
func (p *Presence) Refresh(ctx context.Context, entries []gateway.Entry, ttl time.Duration) error {
	if ttl < time.Millisecond {
		return fmt.Errorf("redispresence: refresh with a TTL of %v (at least 1ms)", ttl)
	}
	if len(entries) == 0 {
		return nil
	}
	now := time.Now()
	deadline := float64(now.Add(ttl).UnixMilli())
	// Expired is a deadline at or before now: what Count, Contains and
	// Members no longer see (they keep scores after now).
	expired := strconv.FormatInt(now.UnixMilli(), 10)
	byKey := map[string][]redis.Z{}
	for _, e := range entries {
		k := p.Key(e.Set)
		byKey[k] = append(byKey[k], redis.Z{Score: deadline, Member: e.Member})
	}
	return p.pipelined(ctx, "refresh", keysOf(byKey), func(pipe redis.Pipeliner, k string) {
		pipe.ZAdd(ctx, k, byKey[k]...)
		pipe.ZRemRangeByScore(ctx, k, "-inf", expired)
		pipe.PExpire(ctx, k, 2*ttl)
	})
}

// Remove implements gateway.Presence.
func (p *Presence) Remove(ctx context.Context, entries []gateway.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	byKey := map[string][]any{}
	for _, e := range entries {
		k := p.Key(e.Set)
		byKey[k] = append(byKey[k], e.Member)
	}
	return p.pipelined(ctx, "remove", keysOf(byKey), func(pipe redis.Pipeliner, k string) {
		pipe.ZRem(ctx, k, byKey[k]...)
	})
}

// Count implements gateway.Presence.
func (p *Presence) Count(ctx context.Context, set string) (int, error) {
	k := p.Key(set)
	n, err := p.b.Client(k).ZCount(ctx, k, after(time.Now()), "+inf").Result()
	if err != nil {
		return 0, fail("count", k, err)
	}
	return int(n), nil
}

// Contains implements gateway.Presence.
func (p *Presence) Contains(ctx context.Context, set, member string) (bool, error) {
	k := p.Key(set)
	score, err := p.b.Client(k).ZScore(ctx, k, member).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, fail("contains", k, err)
	}
	return score > float64(time.Now().UnixMilli()), nil
}

// Members implements gateway.Presence.
func (p *Presence) Members(ctx context.Context, set string, limit int) ([]string, error) {
	k := p.Key(set)
	args := redis.ZRangeArgs{Key: k, Start: after(time.Now()), Stop: "+inf", ByScore: true}
	if limit > 0 {
		args.Count = int64(limit)
	}
	ms, err := p.b.Client(k).ZRangeArgs(ctx, args).Result()
	if err != nil {
		return nil, fail("members", k, err)
	}
	return ms, nil
}

// after is the score range of the entries that expire after now.
func after(now time.Time) string { return "(" + strconv.FormatInt(now.UnixMilli(), 10) }

// pipelined runs fn for each key, in one pipeline per shard.
func (p *Presence) pipelined(ctx context.Context, op string, keys []string, fn func(pipe redis.Pipeliner, key string)) error {
	byClient := map[*redis.Client][]string{}
	var clients []*redis.Client
	for _, k := range keys {
		c := p.b.Client(k)
		if _, ok := byClient[c]; !ok {
			clients = append(clients, c)
		}
		byClient[c] = append(byClient[c], k)
	}
	var errs []error
	for _, c := range clients {
		ks := byClient[c]
		_, err := c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for _, k := range ks {
				fn(pipe, k)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fail(op, fmt.Sprintf("%d keys on %s", len(ks), c.Options().Addr), err))
		}
	}
	return errors.Join(errs...)
}

// fail wraps a Redis error: an answer of the server as it is, anything
// else (a connection refused, a timeout, a closed client) as
// pubsub.ErrUnavailable too.
func fail(op, what string, err error) error {
	var rerr redis.Error
	if errors.As(err, &rerr) {
		return fmt.Errorf("redispresence: %s %s: %w", op, what, err)
	}
	return fmt.Errorf("redispresence: %s %s: %w: %w", op, what, pubsub.ErrUnavailable, err)
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
