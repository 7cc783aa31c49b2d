package pubsub

import "time"

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
