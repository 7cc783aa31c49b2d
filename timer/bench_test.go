package timer

import (
	"testing"
	"time"
)

// BenchmarkAddDel measures a steady-state Add followed by Del on a wheel
// that already holds 10,000 timers.
func BenchmarkAddDel(b *testing.B) {
	w, _ := newTestWheel(10 * time.Millisecond)
	fn := func() {}
	for i := range 10000 {
		addTimer(w, time.Duration(i)*time.Millisecond, fn, i%2 == 0)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.Del(w.After(time.Duration(i&1023)*time.Millisecond+time.Second, fn))
	}
}

// BenchmarkAdvance measures the cost per timer run: 100,000 persistent
// timers with a 100ms interval and spread phases, advanced 1ms at a time
// (about 1,000 timers due per tick, each re-armed). One op is one run.
func BenchmarkAdvance(b *testing.B) {
	w, c := newTestWheel(time.Millisecond)
	fn := func() {}
	for i := range 100000 {
		c.set(time.Duration(i%100) * time.Millisecond)
		w.Add(100*time.Millisecond, fn)
	}
	b.ReportAllocs()
	b.ResetTimer()
	now := 100 * time.Millisecond
	for ran := 0; ran < b.N; {
		now += time.Millisecond
		ran += advanceTo(w, c, now)
	}
}

// BenchmarkAdvanceOneShot measures Add plus the run of a one-shot timer,
// with 10,000 timers due per 1ms tick. One op is one timer.
func BenchmarkAdvanceOneShot(b *testing.B) {
	w, c := newTestWheel(time.Millisecond)
	fn := func() {}
	b.ReportAllocs()
	b.ResetTimer()
	now := time.Duration(0)
	for done := 0; done < b.N; {
		for range 10000 {
			w.After(time.Millisecond, fn)
		}
		now += time.Millisecond
		done += advanceTo(w, c, now)
	}
}

// BenchmarkAdvanceIdle measures an Advance with nothing due while 100,000
// timers are pending (an event loop waking up for I/O).
func BenchmarkAdvanceIdle(b *testing.B) {
	w, c := newTestWheel(time.Millisecond)
	fn := func() {}
	for i := range 100000 {
		w.After(10000*time.Hour+time.Duration(i)*time.Millisecond, fn)
	}
	b.ReportAllocs()
	b.ResetTimer()
	now := time.Duration(0)
	for i := 0; i < b.N; i++ {
		now += 50 * time.Microsecond
		advanceTo(w, c, now)
	}
}

// BenchmarkMemory1M reports the heap used per pending timer with 1,000,000
// timers pending, as B/timer.
func BenchmarkMemory1M(b *testing.B) {
	var per float64
	for i := 0; i < b.N; i++ {
		per = bytesPerTimer(1_000_000)
	}
	b.ReportMetric(per, "B/timer")
}
