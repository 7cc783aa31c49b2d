// Package procfs reads the few /proc figures the benchmarks need: resident
// memory, CPU time, open descriptors and listening sockets of a process and
// all its descendants, the CPUs its threads may run on, and how busy each
// CPU of the machine is.
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
	"math"
	"os"
	"sort"
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
	user, sys, err := TreeCPUSplit(pid)
	return user + sys, err
}

// TreeCPUSplit is the user and the system CPU time consumed so far by pid
// and its descendants, with a resolution of 10 ms each.
func TreeCPUSplit(pid int) (user, sys time.Duration, err error) {
	pids, err := Tree(pid)
	if err != nil {
		return 0, 0, err
	}
	for _, p := range pids {
		s, err := readStat(p)
		if err != nil {
			if p == pid {
				return 0, 0, err
			}
			continue // raced with exit
		}
		user += time.Duration(s.utime) * time.Second / clockTicks
		sys += time.Duration(s.stime) * time.Second / clockTicks
	}
	return user, sys, nil
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

// ThreadCPUsAllowed returns Cpus_allowed_list from /proc/PID/task/TID/status
// for every thread of pid (keyed by thread id): the CPUs each thread may run
// on, e.g. "0" or "0-1". A thread's affinity is its own, so a process is
// pinned only when every thread is.
func ThreadCPUsAllowed(pid int) (map[int]string, error) {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil, err
	}
	out := make(map[int]string, len(entries))
	for _, e := range entries {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		v, err := statusField(fmt.Sprintf("/proc/%d/task/%d/status", pid, tid), "Cpus_allowed_list:")
		if err != nil {
			continue // the thread exited meanwhile
		}
		out[tid] = v
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("procfs: no thread of %d readable", pid)
	}
	return out, nil
}

// CPUsAllowed summarizes ThreadCPUsAllowed: the CPU list when every thread
// of pid has the same one, otherwise the distinct lists joined by " / ".
// threads is the number of threads seen.
func CPUsAllowed(pid int) (list string, threads int, err error) {
	m, err := ThreadCPUsAllowed(pid)
	if err != nil {
		return "", 0, err
	}
	seen := map[string]bool{}
	var lists []string
	for _, v := range m {
		if !seen[v] {
			seen[v] = true
			lists = append(lists, v)
		}
	}
	sort.Strings(lists)
	return strings.Join(lists, " / "), len(m), nil
}

func statusField(path, key string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, key) {
			return strings.TrimSpace(line[len(key):]), nil
		}
	}
	return "", fmt.Errorf("procfs: %s not found in %s", key, path)
}

// TreeListeners counts the TCP sockets in LISTEN state held by pid and its
// descendants (IPv4 and IPv6). An event-loop server with one SO_REUSEPORT
// listener per loop (gnet, workerman-go) holds one per event loop.
func TreeListeners(pid int) (int, error) {
	listening := map[string]bool{} // socket inode -> in LISTEN state
	for _, f := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, f))
		if err != nil {
			if f == "tcp" {
				return 0, err
			}
			continue
		}
		lines := strings.Split(string(b), "\n")
		for _, line := range lines[1:] {
			fs := strings.Fields(line)
			// sl local rem st tx:rx tr:when retrnsmt uid timeout inode
			if len(fs) >= 10 && fs[3] == "0A" {
				listening[fs[9]] = true
			}
		}
	}
	pids, err := Tree(pid)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range pids {
		dir := fmt.Sprintf("/proc/%d/fd", p)
		names, err := os.ReadDir(dir)
		if err != nil {
			if p == pid {
				return 0, err
			}
			continue
		}
		for _, e := range names {
			target, err := os.Readlink(dir + "/" + e.Name())
			if err != nil {
				continue
			}
			// "socket:[12345]"
			if ino, ok := strings.CutPrefix(target, "socket:["); ok && listening[strings.TrimSuffix(ino, "]")] {
				n++
			}
		}
	}
	return n, nil
}

// CPUTicks returns, for every CPU of the machine (indexed by CPU number),
// the clock ticks spent busy (user, nice, system, irq, softirq, steal) and
// in total, from /proc/stat. Differences of two readings give how busy each
// CPU was in between, whatever ran on it.
func CPUTicks() (busy, total []uint64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil, nil, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || len(f[0]) <= 3 || !strings.HasPrefix(f[0], "cpu") {
			continue
		}
		cpu, err := strconv.Atoi(f[0][3:])
		if err != nil || cpu < 0 || cpu > 1<<16 {
			continue
		}
		var v [8]uint64 // user nice system idle iowait irq softirq steal
		for i := range v {
			v[i], _ = strconv.ParseUint(f[i+1], 10, 64)
		}
		for len(busy) <= cpu {
			busy, total = append(busy, 0), append(total, 0)
		}
		busy[cpu] = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
		total[cpu] = busy[cpu] + v[3] + v[4]
	}
	if len(busy) == 0 {
		return nil, nil, errors.New("procfs: no cpuN line in /proc/stat")
	}
	return busy, total, nil
}

// BusyPercent turns two readings of CPUTicks into how busy each CPU was in
// between, in % (0 to 100, one decimal), indexed by CPU number. CPUs missing
// from either reading are left out; a CPU without ticks in between reads 0.
func BusyPercent(busy0, total0, busy1, total1 []uint64) []float64 {
	n := min(len(busy0), len(total0), len(busy1), len(total1))
	out := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		pct := 0.0
		if dt := total1[i] - total0[i]; total1[i] > total0[i] && busy1[i] >= busy0[i] {
			pct = float64(busy1[i]-busy0[i]) / float64(dt) * 100
		}
		out = append(out, math.Round(pct*10)/10)
	}
	return out
}
