package pubsub

import (
	"fmt"
	"time"
)

// What the tests of package pubsub_test reach inside.

// SetClock makes b read the time from now.
func SetClock(b *MemoryBroker, now func() time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.now = now
}

// RingLen is the size of the array that keeps topic's history in b.
func RingLen(b *MemoryBroker, topic string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t := b.topics[topic]; t != nil {
		return len(t.ring)
	}
	return 0
}

// Kept is the number of messages b keeps of topic.
func Kept(b *MemoryBroker, topic string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t := b.topics[topic]; t != nil {
		return t.n
	}
	return 0
}

// Sweep runs b's periodic sweep now.
func Sweep(b *MemoryBroker) { b.sweep() }

// CaughtUp hands s the result of its replay's History, as the goroutine
// that reads it does. Call it on s's loop.
func CaughtUp(s *Subscription, ms []Message, err error) { s.caughtUp(ms, err) }

// MaxHeld is the bound of the live messages held during a replay.
const MaxHeld = maxHeld

// CheckBudgets checks b's accounting against what it keeps: the bytes and
// messages of each topic and of all, the heap of oldest messages.
func CheckBudgets(b *MemoryBroker) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	bytes, kept, inHeap := 0, 0, 0
	for name, t := range b.topics {
		tb := 0
		for i := range t.n {
			tb += t.at(i).Size()
		}
		if tb != t.bytes || tb > b.topicBytes {
			return fmt.Errorf("topic %q: %d bytes kept, counted %d, budget %d", name, tb, t.bytes, b.topicBytes)
		}
		if (t.n > 0) != (t.hindex >= 0) || t.hindex >= 0 && b.oldest[t.hindex] != t {
			return fmt.Errorf("topic %q: %d messages, place %d in the heap", name, t.n, t.hindex)
		}
		if len(t.ring) > 16 && t.n <= len(t.ring)/4 || t.n == 0 && t.ring != nil {
			return fmt.Errorf("topic %q: %d messages in a ring of %d", name, t.n, len(t.ring))
		}
		if t.n > 0 {
			inHeap++
		}
		bytes += tb
		kept += t.n
	}
	if bytes != b.bytes || kept != b.kept || bytes > b.maxBytes || inHeap != len(b.oldest) {
		return fmt.Errorf("%d bytes in %d messages kept, counted %d in %d, budget %d; %d topics in the heap of %d", bytes, kept, b.bytes, b.kept, b.maxBytes, inHeap, len(b.oldest))
	}
	for i := 1; i < len(b.oldest); i++ {
		if b.oldest.Less(i, (i-1)/2) {
			return fmt.Errorf("heap out of order at %d", i)
		}
	}
	return nil
}
