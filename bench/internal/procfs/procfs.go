// Package procfs reads the few /proc figures the benchmarks need: resident
// memory, CPU time and open descriptors of a process and all its descendants.
//
// Figures are summed over the process tree so that a server which forks worker
// processes (Workerman's master/worker model) is measured as a whole. Linux
// only.
package procfs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/PID/stat. It is 100
// on every mainstream Linux architecture; Go offers no sysconf to ask.
const clockTicks = 100

// Tree returns pid followed by all its live descendants.
func Tree(pid int) ([]int, error) {
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	children := make(map[int][]int)
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readStat(p)
		if err != nil {
			continue // raced with exit
		}
		children[st.ppid] = append(children[st.ppid], p)
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out, nil
}

type stat struct {
	ppid         int
	utime, stime uint64
}

func readStat(pid int) (stat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return stat{}, err
	}
	// The command name (field 2) is in parentheses and may hold spaces or
	// parentheses itself: split after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return stat{}, errors.New("procfs: malformed stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); ppid is field 4, utime 14, stime 15.
	if len(f) < 13 {
		return stat{}, errors.New("procfs: short stat")
	}
	var s stat
	s.ppid, _ = strconv.Atoi(f[1])
	s.utime, _ = strconv.ParseUint(f[11], 10, 64)
	s.stime, _ = strconv.ParseUint(f[12], 10, 64)
	return s, nil
}

// CPU returns the user+system CPU time consumed so far by pid alone
// (all its threads), with a resolution of 10 ms.
func CPU(pid int) (time.Duration, error) {
	s, err := readStat(pid)
	if err != nil {
		return 0, err
	}
	return time.Duration(s.utime+s.stime) * time.Second / clockTicks, nil
}

// TreeCPU is CPU summed over pid and its descendants.
func TreeCPU(pid int) (time.Duration, error) {
	pids, err := Tree(pid)
	if err != nil {
		return 0, err
	}
	var sum time.Duration
	for _, p := range pids {
		d, err := CPU(p)
		if err != nil && p == pid {
			return 0, err
		}
		sum += d
	}
	return sum, nil
}

// RSS returns the resident set size of pid in bytes, from
// /proc/PID/smaps_rollup (Rss) or, when that file is missing, VmRSS in
// /proc/PID/status.
func RSS(pid int) (int64, error) {
	if v, err := kBField(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Rss:"); err == nil {
		return v, nil
	}
	return kBField(fmt.Sprintf("/proc/%d/status", pid), "VmRSS:")
}

// TreeRSS is RSS summed over pid and its descendants. Pages shared between
// processes are counted once per process; use it for deltas.
func TreeRSS(pid int) (int64, error) {
	pids, err := Tree(pid)
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, p := range pids {
		v, err := RSS(p)
		if err != nil && p == pid {
			return 0, err
		}
		sum += v
	}
	return sum, nil
}

func kBField(path, key string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, key) {
			continue
		}
		fs := strings.Fields(line[len(key):])
		if len(fs) < 1 {
			break
		}
		v, err := strconv.ParseInt(fs[0], 10, 64)
		if err != nil {
			return 0, err
		}
		return v * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("procfs: %s not found in %s", key, path)
}

// FDs returns the number of open file descriptors of pid.
func FDs(pid int) (int, error) {
	d, err := os.Open(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, err
	}
	defer d.Close()
	n := 0
	for {
		names, err := d.Readdirnames(4096)
		n += len(names)
		if err != nil {
			break
		}
	}
	return n, nil
}

// TreeFDs is FDs summed over pid and its descendants.
func TreeFDs(pid int) (int, error) {
	pids, err := Tree(pid)
	if err != nil {
		return 0, err
	}
	sum := 0
	for _, p := range pids {
		v, err := FDs(p)
		if err != nil && p == pid {
			return 0, err
		}
		sum += v
	}
	return sum, nil
}
