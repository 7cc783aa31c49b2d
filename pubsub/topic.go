package pubsub

import (
	"sync"

	"github.com/workerman-go/workerman/connection"
)

// topic is the state of a topic with subscribers: the newest message
// received, and the subscribers per loop.
type topic struct {
	hub         *Hub
	name        string
	subscribers int // guarded by hub.mu

	mu      sync.Mutex
	lastSeq uint64 // the newest message received
	lastID  string
	loops   map[*connection.Loop]*loopSet
}

// loopSet is a topic's subscribers on one loop. Only that loop touches
// subs; pending and scheduled are guarded by the topic's mutex.
type loopSet struct {
	t    *topic
	loop *connection.Loop
	subs []*Subscription

	pending   []pending // received, not yet delivered on this loop
	scheduled bool      // a drain task is queued
}

// pending is a message to deliver, or a gap the broker reported.
type pending struct {
	m   *Message
	gap error
}

// maxBatchBytes bounds the data one delivery task writes to each
// subscriber: a larger burst is cut into several tasks, and the loop
// flushes in between, so a fast client's send buffer never holds a whole
// burst. A send that does not fit in the room left in a subscriber's send
// buffer evicts it, so a batch must fit in the smallest send buffer a
// subscriber may reasonably have (64 KiB), framing included.
const maxBatchBytes = 32 << 10

// queue hands p to every loop with subscribers. t.mu is held, so every
// loop sees the topic's messages in Seq order. Messages that arrive while
// a delivery task is queued join it: a burst costs each subscriber one
// write, not one per message.
func (t *topic) queue(p pending) {
	for l, set := range t.loops {
		set.pending = append(set.pending, p)
		if !set.scheduled {
			set.scheduled = true
			l.Run(set.drain)
		}
	}
}

// drain runs on the set's loop: it delivers the pending messages, up to
// maxBatchBytes of them, and queues itself again for the rest, so that the
// loop flushes in between. The gaps in the queue are handled as they come,
// in the same task.
func (set *loopSet) drain() {
	t := set.t
	for delivered := false; ; {
		t.mu.Lock()
		if len(set.pending) == 0 {
			set.scheduled = false
			t.mu.Unlock()
			return
		}
		if gap := set.pending[0].gap; gap != nil {
			lastSeq := t.lastSeq
			set.shift(1)
			t.mu.Unlock()
			set.gapAll(gap, lastSeq)
			continue
		}
		if delivered {
			set.loop.Run(set.drain) // the rest, after a flush
			t.mu.Unlock()
			return
		}
		n, size := 0, 0
		for n < len(set.pending) {
			p := set.pending[n]
			if p.gap != nil || n > 0 && size+len(p.m.Data) > maxBatchBytes {
				break
			}
			size += len(p.m.Data)
			n++
		}
		batch := make([]*Message, n)
		for i := range batch {
			batch[i] = set.pending[i].m
		}
		set.shift(n)
		t.mu.Unlock()
		set.deliverAll(batch)
		delivered = true
	}
}

// shift drops the first n pending entries. t.mu is held.
func (set *loopSet) shift(n int) {
	rest := copy(set.pending, set.pending[n:])
	clear(set.pending[rest:])
	set.pending = set.pending[:rest]
}

// gapAll runs on the set's loop: it tells every subscriber that the broker
// lost messages. lastSeq is the newest message the Hub had received.
func (set *loopSet) gapAll(err error, lastSeq uint64) {
	// Iterate backwards: a Cancel moves the last subscriber into the slot.
	for i := len(set.subs) - 1; i >= 0; i-- {
		if i >= len(set.subs) {
			continue
		}
		s := set.subs[i]
		if s.catching {
			// Reported when the replay is read, before anything is
			// written.
			if s.liveGap == nil {
				s.liveGap = err
			}
			continue
		}
		s.gap(err, lastSeq)
	}
}

// deliverAll runs on the set's loop: it writes the messages to every
// subscriber that does not have them yet, encoding each message once per
// format.
func (set *loopSet) deliverAll(batch []*Message) {
	h := set.t.hub
	// The encodings, per format (a loop rarely sees more than two) and per
	// message of the batch, made on first use.
	type encodings struct {
		f    *Format
		wire [][]byte // nil: not encoded yet (or failed)
		done []bool
	}
	var byFormat []encodings
	wire := func(f *Format, j int) []byte {
		k := 0
		for k < len(byFormat) && byFormat[k].f != f {
			k++
		}
		if k == len(byFormat) {
			byFormat = append(byFormat, encodings{f: f, wire: make([][]byte, len(batch)), done: make([]bool, len(batch))})
		}
		e := &byFormat[k]
		if !e.done[j] {
			e.done[j] = true
			b, err := f.Append(nil, batch[j])
			if err != nil {
				h.log.Error("pubsub: cannot encode a message; its subscribers miss it", "format", f.String(), "topic", set.t.name, "id", batch[j].ID, "err", err)
			}
			e.wire[j] = b
		}
		return e.wire[j]
	}
	var values []Message // the batch for functions, made on first use
	// Iterate backwards: a Cancel moves the last subscriber into the slot.
	for i := len(set.subs) - 1; i >= 0; i-- {
		if i >= len(set.subs) {
			continue
		}
		s := set.subs[i]
		j := 0 // the first message s does not have
		for j < len(batch) && batch[j].Seq < s.next {
			j++
		}
		if j == len(batch) {
			continue
		}
		if s.catching {
			s.hold(batch[j:])
			continue
		}
		s.next = batch[len(batch)-1].Seq + 1
		if s.fn != nil {
			if values == nil {
				values = make([]Message, len(batch))
				for k, m := range batch {
					values[k] = *m
				}
			}
			h.delivered.Add(uint64(len(batch) - j))
			s.fn(values[j:])
			continue
		}
		for ; j < len(batch) && s.index >= 0; j++ {
			if b := wire(s.f, j); b != nil {
				s.write(b)
			}
		}
	}
}
