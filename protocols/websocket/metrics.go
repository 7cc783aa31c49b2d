package websocket

import (
	"sync/atomic"
	"unsafe"
)

// The data messages of the process, received and sent, for package
// worker/metrics. The counters are sharded so that the event loops, each on
// a core of its own, do not fight over one cache line: a message costs one
// uncontended atomic add.

// messageShards is the number of shards; a connection always counts in the
// same one, picked from its codec's address.
const messageShards = 16

// messageShard is one shard, padded to a cache line pair of its own
// (adjacent lines are prefetched together).
type messageShard struct {
	received, sent atomic.Uint64
	_              [128 - 2*8]byte
}

var messageCounts [messageShards]messageShard

// MessageCounts returns how many WebSocket data messages (text and binary;
// not pings, pongs or closes) the process's connections, servers' and
// clients', have received and sent since it started. A message received
// counts when it is complete (all its fragments), before it is delivered
// to OnMessage; a message sent counts when it is encoded: a string, a
// []byte or a text or binary Message given to Send, and a protocols.Raw,
// which holds frames encoded by the sender (a pubsub broadcast), as one
// message.
func MessageCounts() (received, sent uint64) {
	for i := range messageCounts {
		received += messageCounts[i].received.Load()
		sent += messageCounts[i].sent.Load()
	}
	return received, sent
}

// counters returns the shard of the connection of codec s.
func (s *codec) counters() *messageShard {
	i := (uint64(uintptr(unsafe.Pointer(s))) * 0x9E3779B97F4A7C15 >> 32) % messageShards
	return &messageCounts[i]
}
