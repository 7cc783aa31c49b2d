package gateway

import (
	"context"
	"time"
)

// The presence of this Gateway's connections is kept in the store by one
// goroutine, presenceLoop:
//
//   - Changes (a client registered or gone, a bind, a join) are made to
//     g.entries at once, under g.mu, and noted in pendingAdd and
//     pendingRemove (an entry is in at most one of them: the last change
//     wins); the goroutine is woken and applies them in one batch. A
//     batch that fails is noted again, unless a later change superseded
//     it, and retried with a backoff.
//   - Every TTL/3 all of g.entries is refreshed, in chunks. One goroutine
//     does both, so a refresh never resurrects an entry removed before it:
//     the removal is either in the snapshot's absence or in a later batch.
//
// Nothing waits for it: the methods called on event loops only take g.mu.

// signal wakes the presence goroutine.
func (g *Gateway) signal() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// addLocked records a new entry of a live client. g.mu is held.
func (g *Gateway) addLocked(e Entry) {
	if g.closed {
		return
	}
	g.entries[e] = struct{}{}
	delete(g.pendingRemove, e)
	g.pendingAdd[e] = struct{}{}
}

// removeLocked records an entry gone. g.mu is held.
func (g *Gateway) removeLocked(e Entry) {
	if g.closed {
		return
	}
	delete(g.entries, e)
	delete(g.pendingAdd, e)
	g.notePendingRemoveLocked(e)
}

// notePendingRemoveLocked queues the removal of e, or counts it dropped
// when too many are queued (the store is down): it then expires within the
// TTL. g.mu is held.
func (g *Gateway) notePendingRemoveLocked(e Entry) {
	if len(g.pendingRemove) >= maxPendingRemove {
		g.presenceDropped.Add(1)
		if n, ok := g.logs.allow("presence-drop"); ok {
			g.log.Warn("gateway: too many presence removals pending, one dropped (it expires by itself)", "set", e.Set, "member", e.Member, "ttl", g.ttl, "suppressed", n)
		}
		return
	}
	g.pendingRemove[e] = struct{}{}
}

// Backoff of the presence retries.
const minBackoff = 100 * time.Millisecond

// presenceLoop keeps the store up to date until Close.
func (g *Gateway) presenceLoop() {
	defer close(g.presDone)
	every := g.ttl / 3
	tick := time.NewTicker(every)
	defer tick.Stop()
	refreshDue := false
	var retry <-chan time.Time
	backoff := time.Duration(0)
	for {
		select {
		case <-g.stopPres:
			return
		case <-g.wake:
			if retry != nil {
				continue // the retry applies it
			}
		case <-tick.C:
			refreshDue = true
			if retry != nil {
				continue
			}
		case <-retry:
			retry = nil
		}
		ok := g.flushPending()
		if ok && refreshDue {
			if ok = g.refreshAll(); ok {
				refreshDue = false
			}
		}
		if ok {
			backoff = 0
			continue
		}
		backoff = min(max(2*backoff, minBackoff), every)
		retry = time.After(backoff)
	}
}

// flushPending applies the changes noted since the last batch. It reports
// whether the store took them.
func (g *Gateway) flushPending() bool {
	g.mu.Lock()
	if len(g.pendingAdd) == 0 && len(g.pendingRemove) == 0 {
		g.mu.Unlock()
		return true
	}
	adds, removes := g.pendingAdd, g.pendingRemove
	g.pendingAdd, g.pendingRemove = map[Entry]struct{}{}, map[Entry]struct{}{}
	g.mu.Unlock()

	err := g.apply(keys(removes), g.presence.Remove)
	if err == nil {
		err = g.apply(keys(adds), func(ctx context.Context, es []Entry) error {
			return g.presence.Refresh(ctx, es, g.ttl)
		})
	}
	if err == nil {
		return true
	}
	g.presenceFailed("updating presence", err)
	// Note the batch again, unless a later change superseded it.
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	for e := range removes {
		if _, live := g.entries[e]; !live {
			if _, noted := g.pendingRemove[e]; !noted {
				g.notePendingRemoveLocked(e)
			}
		}
	}
	for e := range adds {
		if _, live := g.entries[e]; live {
			g.pendingAdd[e] = struct{}{}
		}
	}
	return false
}

// refreshAll refreshes every entry of the live clients. It reports whether
// the store took them all.
func (g *Gateway) refreshAll() bool {
	g.mu.RLock()
	all := keys(g.entries)
	g.mu.RUnlock()
	err := g.apply(all, func(ctx context.Context, es []Entry) error {
		return g.presence.Refresh(ctx, es, g.ttl)
	})
	if err != nil {
		g.presenceFailed("refreshing presence", err)
		return false
	}
	g.refreshes.Add(1)
	return true
}

// apply calls fn on es in chunks of refreshChunk, each within the
// Gateway's timeout.
func (g *Gateway) apply(es []Entry, fn func(ctx context.Context, es []Entry) error) error {
	for len(es) > 0 {
		n := min(len(es), refreshChunk)
		ctx, cancel := context.WithTimeout(context.Background(), g.timeout)
		err := fn(ctx, es[:n])
		cancel()
		if err != nil {
			return err
		}
		es = es[n:]
	}
	return nil
}

// presenceFailed counts and logs a failed presence call.
func (g *Gateway) presenceFailed(what string, err error) {
	g.presenceErrors.Add(1)
	if n, ok := g.logs.allow("presence"); ok {
		g.log.Error("gateway: "+what+" failed; retrying", "err", err, "ttl", g.ttl, "suppressed", n)
	}
}

func keys(m map[Entry]struct{}) []Entry {
	out := make([]Entry, 0, len(m))
	for e := range m {
		out = append(out, e)
	}
	return out
}
