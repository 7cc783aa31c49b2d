package main

// CPU samples during a scale-out schedule. The schedule ends with the last
// receipt of its last event, but the load generators close their streams
// only after that, and the servers' work for 100,000 closes is not part of
// a publish: the CPU time is sampled every few tens of milliseconds and the
// window ends at the first sample after the last receipt.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/workerman-go/workerman/bench/internal/procfs"
)

// clockTicksPerSec is USER_HZ, the unit of utime and stime in
// /proc/PID/stat (100 on every mainstream Linux architecture).
const clockTicksPerSec = 100

// cpuPoint is one sample.
type cpuPoint struct {
	t          int64         // Unix ns
	cpu, sys   time.Duration // the servers together: user + system, and system
	redis      time.Duration // Redis, user + system
	writes     uint64        // the servers' write system calls so far (syscw of /proc/PID/io)
	busy, tot  []uint64      // /proc/stat, per CPU
	serversErr error
}

// cpuSampler samples the CPU time of fixed sets of processes.
type cpuSampler struct {
	servers []int // the servers' processes and their descendants at the start
	redis   []int
	stop    chan struct{}
	done    chan struct{}

	mu     sync.Mutex
	points []cpuPoint
}

// startCPUSampler samples the trees of serverPids and of redisPid (0: none)
// every period until finish.
func startCPUSampler(serverPids []int, redisPid int, period time.Duration) *cpuSampler {
	s := &cpuSampler{stop: make(chan struct{}), done: make(chan struct{})}
	for _, pid := range serverPids {
		if t, err := procfs.Tree(pid); err == nil {
			s.servers = append(s.servers, t...)
		} else {
			s.servers = append(s.servers, pid)
		}
	}
	if redisPid != 0 {
		s.redis = []int{redisPid}
	}
	s.sample()
	go func() {
		defer close(s.done)
		tk := time.NewTicker(period)
		defer tk.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-tk.C:
				s.sample()
			}
		}
	}()
	return s
}

// sample takes one sample.
func (s *cpuSampler) sample() {
	p := cpuPoint{t: time.Now().UnixNano()}
	for _, pid := range s.servers {
		u, sys, err := procTimes(pid)
		if err != nil {
			p.serversErr = err
			continue
		}
		p.cpu += u + sys
		p.sys += sys
		if w, err := procWrites(pid); err == nil {
			p.writes += w
		}
	}
	for _, pid := range s.redis {
		if u, sys, err := procTimes(pid); err == nil {
			p.redis += u + sys
		}
	}
	p.busy, p.tot, _ = procfs.CPUTicks()
	s.mu.Lock()
	s.points = append(s.points, p)
	s.mu.Unlock()
}

// finish stops sampling, takes a last sample and returns them all, oldest
// first.
func (s *cpuSampler) finish() []cpuPoint {
	close(s.stop)
	<-s.done
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.points
}

// windowEnd returns the first point at or after end (Unix ns), or the last
// point when none is (or end is 0).
func windowEnd(points []cpuPoint, end int64) cpuPoint {
	if end > 0 {
		for _, p := range points {
			if p.t >= end {
				return p
			}
		}
	}
	return points[len(points)-1]
}

// procTimes reads the user and system CPU time of pid (all its threads).
func procTimes(pid int) (user, sys time.Duration, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	u, s, err := parseStatTimes(b)
	if err != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return time.Duration(u) * time.Second / clockTicksPerSec, time.Duration(s) * time.Second / clockTicksPerSec, nil
}

// parseStatTimes extracts utime and stime (fields 14 and 15, in clock
// ticks) from the text of /proc/PID/stat. The command name (field 2) is in
// parentheses and may hold spaces and parentheses itself: the fields are
// counted after the last ')'.
func parseStatTimes(b []byte) (utime, stime uint64, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, errors.New("no ')' after the command name")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 { // f[0] is field 3
		return 0, 0, fmt.Errorf("%d fields after the command name, want at least 13", len(f))
	}
	if utime, err = strconv.ParseUint(f[11], 10, 64); err != nil {
		return 0, 0, fmt.Errorf("utime %.20q: %w", f[11], err)
	}
	if stime, err = strconv.ParseUint(f[12], 10, 64); err != nil {
		return 0, 0, fmt.Errorf("stime %.20q: %w", f[12], err)
	}
	return utime, stime, nil
}

// procWrites reads the number of write system calls pid made (syscw of
// /proc/PID/io: write, writev and the like).
func procWrites(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, err
	}
	return parseIOField(b, "syscw")
}

// parseIOField returns the value of the line "name: N" of the text of
// /proc/PID/io.
func parseIOField(b []byte, name string) (uint64, error) {
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != name {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %.20q: %w", name, v, err)
		}
		return n, nil
	}
	return 0, fmt.Errorf("no %s line", name)
}
