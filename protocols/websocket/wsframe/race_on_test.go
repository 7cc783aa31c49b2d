//go:build race

package wsframe_test

// raceEnabled: the race detector is on, and sync.Pool drops some of what
// is put back, so allocation counts are not meaningful.
const raceEnabled = true
