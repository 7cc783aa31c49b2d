package http

import (
	"sync/atomic"
	"unsafe"
)

// The responses of the process, by status class, for package
// worker/metrics. The counters are sharded so that the event loops, each on
// a core of its own, do not fight over one cache line: a response costs one
// uncontended atomic add.

// statusShards is the number of shards; a connection always counts in the
// same one, picked from its codec's address.
const statusShards = 16

// statusShard is one shard: the counts of 1xx to 5xx, padded to a cache
// line pair of its own (adjacent lines are prefetched together).
type statusShard struct {
	counts [5]atomic.Uint64
	_      [128 - 5*8]byte
}

var statusCounts [statusShards]statusShard

// ResponseCounts returns how many responses the process's HTTP server
// connections have sent since it started, by status class: [0] counts the
// 1xx, [1] the 2xx, ... [4] the 5xx. A response counts when its head is
// encoded: Send of a *Response (its Status), a string or a []byte (200),
// and the error replies the codec writes itself (400, 408, 413, 431...:
// Error.Reply). Not counted: the interim 100 Continue, the handshake
// replies of package websocket (101, and its refusals), and statuses of
// 600 and more, which HTTP does not define.
func ResponseCounts() [5]uint64 {
	var out [5]uint64
	for i := range statusCounts {
		for class := range out {
			out[class] += statusCounts[i].counts[class].Load()
		}
	}
	return out
}

// countResponse counts the response whose head msg was just encoded by
// s: a *Response by its status, a string or []byte body as 200.
func (s *serverCodec) countResponse(msg any) {
	code := 200
	if r, ok := msg.(*Response); ok {
		code = r.Status
	}
	countStatus(code, s.shard())
}

// countStatus counts one response with status code in shard i.
func countStatus(code int, i int) {
	if class := code/100 - 1; class >= 0 && class < 5 {
		statusCounts[i].counts[class].Add(1)
	}
}

// shard picks the shard of a connection from its codec's address, spread
// by a multiplicative hash, so that the connections of different loops
// rarely share one.
func (s *serverCodec) shard() int {
	return int((uint64(uintptr(unsafe.Pointer(s))) * 0x9E3779B97F4A7C15 >> 32) % statusShards)
}
