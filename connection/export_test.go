package connection

import "time"

// SocketWrites is how many writes l handed to its sockets.
func SocketWrites(l *Loop) uint64 { return l.stats.Writes.Load() }

// SetCarrierHold sets how long flushNow holds a carrier's writes back, and
// returns what restores it. Call it before the engine starts.
func SetCarrierHold(d time.Duration) (restore func()) {
	old := carrierHold.Load()
	carrierHold.Store(int64(d))
	return func() { carrierHold.Store(old) }
}
