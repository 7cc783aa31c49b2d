//go:build race

package http

// raceEnabled: the race detector is on, and sync.Pool drops some of what
// is put back, so what a pool gives back is not predictable.
const raceEnabled = true
