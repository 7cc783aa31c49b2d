//go:build !race

package wsframe_test

const raceEnabled = false
