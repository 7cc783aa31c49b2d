package redisbroker

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults of Options.
const (
	DefaultAddr        = "127.0.0.1:6379"
	DefaultKeyPrefix   = "wm:"
	DefaultReplayCount = 1000
	DefaultReplayAge   = 10 * time.Minute
	DefaultKeyTTL      = 24 * time.Hour
)

// Options configure a Broker.
type Options struct {
	// Addrs are the Redis servers (host:port), default DefaultAddr. With
	// several, each is a shard: a topic lives on the one its name hashes
	// to, and every process must list the same servers in the same order.
	Addrs []string
	// Username (an ACL user) and Password authenticate to every server.
	Username, Password string
	// DB is the database number (default 0).
	DB int
	// TLS, when set, connects to Redis over TLS with this configuration.
	TLS *tls.Config
	// KeyPrefix starts every key the broker uses (default
	// DefaultKeyPrefix, "wm:"): several applications can share a Redis.
	KeyPrefix string
	// PoolSize is the most connections per server for publishing and
	// reading history (default: go-redis's, 10 per CPU). Each server also
	// has one connection for live delivery.
	PoolSize int
	// ReplayCount is about how many messages a topic's stream keeps
	// (XADD MAXLEN ~; default 1000): Redis trims whole blocks, so a few
	// more may be kept, never fewer.
	ReplayCount int
	// ReplayAge drops messages older than this from a topic's stream
	// when it is published on (XTRIM MINID ~; default 10 minutes).
	ReplayAge time.Duration
	// KeyTTL deletes a topic's stream when nothing was published on it
	// for this long (default 24 hours, at least ReplayAge), so that
	// topics used once (a user's) do not stay in Redis forever. A client
	// resuming from such a topic is told of a gap.
	KeyTTL time.Duration
	// Retention, when set, bounds the history of some topics differently
	// from ReplayCount, ReplayAge and KeyTTL: its zero fields keep the
	// broker's. Topics whose history nobody replays (a Gateway's, "gw:...")
	// still need a little, so that a process whose connection to Redis
	// was cut reads what it missed: a few seconds' worth.
	Retention func(topic string) Retention
	// Logger receives what the broker does on its own: reconnections,
	// gaps it detects (default slog.Default()).
	Logger *slog.Logger
}

// withDefaults returns opts completed, or an error naming what is wrong.
func (opts Options) withDefaults() (Options, error) {
	if len(opts.Addrs) == 0 {
		opts.Addrs = []string{DefaultAddr}
	}
	for _, a := range opts.Addrs {
		if a == "" {
			return opts, errors.New("redisbroker: an empty address in Addrs")
		}
	}
	if opts.KeyPrefix == "" {
		opts.KeyPrefix = DefaultKeyPrefix
	}
	if opts.ReplayCount < 0 || opts.ReplayAge < 0 || opts.KeyTTL < 0 || opts.PoolSize < 0 || opts.DB < 0 {
		return opts, fmt.Errorf("redisbroker: negative option in %+v", opts)
	}
	if opts.ReplayCount == 0 {
		opts.ReplayCount = DefaultReplayCount
	}
	if opts.ReplayAge == 0 {
		opts.ReplayAge = DefaultReplayAge
	}
	if opts.KeyTTL == 0 {
		opts.KeyTTL = DefaultKeyTTL
	}
	opts.KeyTTL = max(opts.KeyTTL, opts.ReplayAge)
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return opts, nil
}

// Retention bounds one topic's history (see Options.Retention).
type Retention struct {
	Count  int           // about how many messages are kept (XADD MAXLEN ~)
	Age    time.Duration // messages older than this are dropped
	KeyTTL time.Duration // the stream is deleted when unused this long (at least Age)
}

// retention returns the bounds of topic's history.
func (opts *Options) retention(topic string) Retention {
	r := Retention{Count: opts.ReplayCount, Age: opts.ReplayAge, KeyTTL: opts.KeyTTL}
	if opts.Retention == nil {
		return r
	}
	t := opts.Retention(topic)
	if t.Count > 0 {
		r.Count = t.Count
	}
	if t.Age > 0 {
		r.Age = t.Age
	}
	if t.KeyTTL > 0 {
		r.KeyTTL = t.KeyTTL
	}
	r.KeyTTL = max(r.KeyTTL, r.Age)
	return r
}
