package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// CPU pinning.
//
// A child is pinned by starting it through the driver itself: the driver is
// re-executed with pinExecArg, sets the CPU affinity of its (locked) thread
// and execs the real program on that thread. The affinity mask survives exec,
// so the program's first thread, and every thread it ever creates, is
// confined to the CPU from the start; the Go runtime of the program then sees
// one CPU (runtime.NumCPU, hence GOMAXPROCS and the default number of event
// loops of gnet and workerman-go). Setting the affinity of an already running
// child instead would miss the threads it created before.

// pinExecArg, as the first argument, turns the driver into that launcher:
//
//	compare -internal-pin-exec CPU PROGRAM [ARG...]
const pinExecArg = "-internal-pin-exec"

// pinExec is the launcher: it never returns on success.
func pinExec(args []string) int {
	if len(args) < 2 {
		fmt.Fprintf(os.Stderr, "compare %s: want CPU PROGRAM [ARG...]\n", pinExecArg)
		return 2
	}
	cpu, err := strconv.Atoi(args[0])
	if err != nil || cpu < 0 {
		fmt.Fprintf(os.Stderr, "compare %s: bad CPU %q\n", pinExecArg, args[0])
		return 2
	}
	// sched_setaffinity(0, ...) applies to the calling thread only, and
	// execve keeps the mask of the thread that calls it: both must be the
	// same thread.
	runtime.LockOSThread()
	var set unix.CPUSet
	set.Zero()
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		fmt.Fprintf(os.Stderr, "compare: pinning to CPU %d: %v\n", cpu, err)
		return 126
	}
	var got unix.CPUSet
	if err := unix.SchedGetaffinity(0, &got); err != nil || got != set {
		fmt.Fprintf(os.Stderr, "compare: pinning to CPU %d did not take (err %v, %d CPUs in the mask)\n", cpu, err, got.Count())
		return 126
	}
	bin := args[1]
	err = syscall.Exec(bin, append([]string{bin}, args[2:]...), os.Environ())
	fmt.Fprintf(os.Stderr, "compare: exec %s: %v\n", bin, err)
	return 127
}

// pinning is the plan of a run.
type pinning struct {
	On      bool   `json:"on"`
	Server  int    `json:"server_cpu"`  // CPU of every server process
	Loadgen int    `json:"loadgen_cpu"` // CPU of every load generator process
	Note    string `json:"note,omitempty"`
	self    string // the driver's executable, the launcher
}

// planPinning decides the CPUs: the first two the driver may use (0 and 1
// on an ordinary machine). With fewer than two, pinning is skipped.
func planPinning(want bool) pinning {
	if !want {
		return pinning{Note: "off (-pin=false)"}
	}
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return pinning{Note: fmt.Sprintf("skipped: reading the CPU affinity: %v", err)}
	}
	var cpus []int
	for c := 0; c < len(set)*64 && len(cpus) < 2; c++ {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	if len(cpus) < 2 {
		return pinning{Note: fmt.Sprintf("skipped: only %d CPU available", set.Count())}
	}
	self, err := os.Executable()
	if err == nil {
		self, err = filepath.Abs(self)
	}
	if err != nil {
		return pinning{Note: fmt.Sprintf("skipped: cannot find the driver's executable: %v", err)}
	}
	return pinning{On: true, Server: cpus[0], Loadgen: cpus[1], self: self}
}

// serverCPU and loadgenCPU are the CPUs for startProc: -1 when not pinning.
func (p pinning) serverCPU() int {
	if !p.On {
		return -1
	}
	return p.Server
}

func (p pinning) loadgenCPU() int {
	if !p.On {
		return -1
	}
	return p.Loadgen
}
