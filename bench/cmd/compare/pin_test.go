package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The test binary doubles as the launcher, as the driver does.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == pinExecArg {
		os.Exit(pinExec(os.Args[2:]))
	}
	os.Exit(m.Run())
}

func TestPinExec(t *testing.T) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Skip(err)
	}
	cpu := -1
	for c := 0; c < len(set)*64; c++ {
		if set.IsSet(c) {
			cpu = c // the last CPU we may use
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	// The exec'd program reads its own status: its affinity, set before
	// its first instruction.
	out, err := exec.Command(self, pinExecArg, strconv.Itoa(cpu), "/bin/cat", "/proc/self/status").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := "Cpus_allowed_list:\t" + strconv.Itoa(cpu) + "\n"
	if !strings.Contains(string(out), want) {
		t.Fatalf("status of the pinned program lacks %q:\n%s", want, out)
	}

	// A CPU that does not exist fails before exec.
	out, err = exec.Command(self, pinExecArg, "100000", "/bin/true").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "pinning") {
		t.Fatalf("pinning to CPU 100000: err %v, output %q", err, out)
	}
}

func TestPlanPinning(t *testing.T) {
	if p := planPinning(false); p.On || p.serverCPU() != -1 || p.loadgenCPU() != -1 {
		t.Fatalf("-pin=false planned %+v", p)
	}
	p := planPinning(true)
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Skip(err)
	}
	if set.Count() < 2 {
		if p.On || !strings.Contains(p.Note, "skipped") {
			t.Fatalf("one CPU: planned %+v", p)
		}
		return
	}
	if !p.On || p.Server == p.Loadgen || !set.IsSet(p.Server) || !set.IsSet(p.Loadgen) || p.self == "" {
		t.Fatalf("planned %+v", p)
	}
}
