package gateway

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Entry is one member of one presence set: a client id in the set of all
// clients, of a uid's clients, of a group's members.
type Entry struct {
	Set    string
	Member string
}

// Presence stores who is online, for every process of a cluster: sets of
// members whose entries expire unless refreshed. A Gateway refreshes the
// entries of its live connections every TTL/3 and removes them when the
// connections close; the entries of a process that dies without removing
// them expire within the TTL of their last refresh.
//
// Its methods may block (a remote store): a Gateway calls them from its
// own goroutines, never from an event loop. Implementations must be safe
// for concurrent use. NewMemoryPresence makes one for a single process;
// package redispresence stores presence in Redis.
type Presence interface {
	// Refresh adds the entries, or extends them, so that each expires ttl
	// from now. Many entries come in one call: store them in as few round
	// trips as possible.
	Refresh(ctx context.Context, entries []Entry, ttl time.Duration) error
	// Remove removes the entries now; absent ones are ignored.
	Remove(ctx context.Context, entries []Entry) error
	// Count returns the number of unexpired members of set.
	Count(ctx context.Context, set string) (int, error)
	// Contains reports whether member is an unexpired member of set.
	Contains(ctx context.Context, set, member string) (bool, error)
	// Members returns the unexpired members of set, in no particular
	// order, at most limit of them (limit <= 0: all).
	Members(ctx context.Context, set string, limit int) ([]string, error)
}

// MemoryPresence is a Presence in the memory of one process: the default,
// for a Gateway whose connections all live in this process (and for
// several Gateways of one process that share a broker). Expired entries
// are dropped when their set is read, and by a sweep of all sets at most
// once per TTL during Refresh, so memory is bounded by what was refreshed
// during the last TTL or so.
type MemoryPresence struct {
	mu        sync.Mutex
	sets      map[string]map[string]time.Time // set -> member -> deadline
	lastSweep time.Time
	now       func() time.Time
}

// NewMemoryPresence returns an empty MemoryPresence.
func NewMemoryPresence() *MemoryPresence {
	return &MemoryPresence{sets: map[string]map[string]time.Time{}, now: time.Now}
}

// Refresh implements Presence.
func (p *MemoryPresence) Refresh(_ context.Context, entries []Entry, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("gateway: presence refresh with a TTL of %v", ttl)
	}
	now := p.now()
	deadline := now.Add(ttl)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range entries {
		s := p.sets[e.Set]
		if s == nil {
			s = map[string]time.Time{}
			p.sets[e.Set] = s
		}
		s[e.Member] = deadline
	}
	if now.Sub(p.lastSweep) >= ttl {
		p.lastSweep = now
		for name := range p.sets {
			p.expireLocked(name, now)
		}
	}
	return nil
}

// Remove implements Presence.
func (p *MemoryPresence) Remove(_ context.Context, entries []Entry) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range entries {
		if s := p.sets[e.Set]; s != nil {
			delete(s, e.Member)
			if len(s) == 0 {
				delete(p.sets, e.Set)
			}
		}
	}
	return nil
}

// Count implements Presence.
func (p *MemoryPresence) Count(_ context.Context, set string) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.expireLocked(set, p.now())), nil
}

// Contains implements Presence.
func (p *MemoryPresence) Contains(_ context.Context, set, member string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	deadline, ok := p.sets[set][member]
	return ok && p.now().Before(deadline), nil
}

// Members implements Presence.
func (p *MemoryPresence) Members(_ context.Context, set string, limit int) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.expireLocked(set, p.now())
	n := len(s)
	if limit > 0 {
		n = min(n, limit)
	}
	out := make([]string, 0, n)
	for m := range s {
		if len(out) == n {
			break
		}
		out = append(out, m)
	}
	return out, nil
}

// expireLocked drops the expired members of set and returns what is left
// (nil for none).
func (p *MemoryPresence) expireLocked(set string, now time.Time) map[string]time.Time {
	s := p.sets[set]
	for m, deadline := range s {
		if !now.Before(deadline) {
			delete(s, m)
		}
	}
	if s != nil && len(s) == 0 {
		delete(p.sets, set)
		return nil
	}
	return s
}
