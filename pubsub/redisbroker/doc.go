// Package redisbroker is a pubsub.Broker on Redis, so that the Hubs of
// several processes, on one machine or many, share their topics: a message
// published on any of them reaches the subscribers of all, and a client
// resumes on any of them, after any restart, from the id it last had.
//
// Each topic is a Redis Stream (its history, trimmed by count and age and
// deleted when unused for Options.KeyTTL) and a pub/sub channel (its live
// messages). Publish appends and publishes in one script, so every
// process sees a topic's messages in the stream's order; the id a client
// sees is the stream entry's, the same on every node. Each process has one
// connection per Redis for live delivery, whatever the number of topics;
// whenever it subscribes (a reconnection included) it reads what it
// missed from the streams. Entries it cannot read any more (trimmed, or
// lost by a Redis restarted without its data) are reported as a gap
// (pubsub.ErrGap: the subscribers' OnGap), never skipped in silence.
//
// Topics are sharded over several independent Redis servers by a hash of
// their name (Options.Addrs). A Redis that cannot be reached makes
// Publish and History fail with an error wrapping pubsub.ErrUnavailable
// (an HTTP API answers 503), while the subscribers keep their
// connections: delivery resumes, from where it stopped, when Redis is
// back.
//
// What it is not: Redis Cluster support (list the servers as shards
// instead), nor a durable queue: what Redis keeps depends on its
// persistence (with appendfsync always, nothing acknowledged is lost), and
// what it lost is reported as a gap.
package redisbroker
