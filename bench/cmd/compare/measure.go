package main

// Measurements that several benchmarks share: an echo round (compare echo
// and ws), one load generator against a fresh server (sse tick, fan-out,
// ws broadcast) and a fan-out round (sse fanout, ws broadcast). The idle
// round is harness.measureIdle.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/workerman-go/workerman/bench/loadgen"
)

// echoSpec describes an echo round: conns connections, each with depth
// messages of size bytes in flight, over load generators started with
// loadgenArgs(server address, their share) (mode, target, connections...),
// warmup then duration; the server gets serverArgs.
type echoSpec struct {
	serverArgs       []string
	conns            int
	size, depth      int
	warmup, duration time.Duration
	loadgenArgs      func(addr string, n int) []string
}

// measureEcho measures echo throughput, latency and server CPU on a fresh
// server s: one load generator per DefaultMaxConns connections (the server
// CPU window is exact only with one).
func (h *harness) measureEcho(ctx context.Context, s serverSpec, round int, spec echoSpec) (rec echoRecord) {
	rec = echoRecord{Server: s.Name, Round: round}
	srv, addr, err := h.startServer(ctx, s, spec.serverArgs...)
	if err != nil {
		rec.Error = err.Error()
		return rec
	}
	defer srv.stop(3 * time.Second)

	shares := split(spec.conns, (spec.conns+loadgen.DefaultMaxConns-1)/loadgen.DefaultMaxConns)
	var argv [][]string
	for _, n := range shares {
		args := spec.loadgenArgs(addr, n)
		args = append(args, "-size", fmt.Sprint(spec.size), "-depth", fmt.Sprint(spec.depth),
			"-duration", spec.duration.String(), "-warmup", spec.warmup.String(),
			"-setup-timeout", setupTimeout.String(), "-server-pid", fmt.Sprint(srv.pid()))
		argv = append(argv, args)
	}
	limit := setupTimeout + spec.warmup + spec.duration + 15*time.Second
	results, raws, problems := h.runLoadgens(ctx, "loadgen-echo", argv, limit)
	rec.Loadgen = raws
	for _, res := range results {
		rec.LoadgenCPUs, rec.LoadgenGOMAXPROCS = res.CPUs, res.GOMAXPROCS
	}
	if srv.exited() {
		problems = append(problems, fmt.Sprintf("server exited during the test: %v%s", srv.exitErr(), srv.diag()))
	} else if info, err := h.inspectServer(srv); err != nil { // again, now that all its threads exist
		problems = append(problems, err.Error())
	} else {
		rec.ServerInfo = info
	}
	var hist loadgen.Hist
	var msgs uint64
	var cpuServer, sysServer, cpuClient, window float64
	for _, r := range results {
		window = max(window, r.WindowSec)
		rec.MsgsPerSec += r.MsgsPerSec
		rec.MBPerSec += r.MBPerSec
		msgs += r.Messages
		cpuClient += r.ClientCPU
		if r.Latency != nil {
			hist.Merge(r.Latency)
		}
	}
	rec.P50us = float64(hist.Quantile(0.5)) / 1e3
	rec.P99us = float64(hist.Quantile(0.99)) / 1e3
	if len(results) == 1 { // the server CPU window is exact only with one generator
		cpuServer, sysServer = results[0].ServerCPU, results[0].ServerSysCPU
	}
	if msgs > 0 {
		rec.ServerCPUusPerMsg = cpuServer * 1e6 / float64(msgs)
		rec.ServerSysUsPerMsg = sysServer * 1e6 / float64(msgs)
		rec.ClientCPUusPerMsg = cpuClient * 1e6 / float64(msgs)
	}
	if window > 0 {
		rec.ServerCPUPct = cpuServer / window * 100
		rec.ClientCPUPct = cpuClient / window * 100
	}
	if len(results) == 1 && len(results[0].CPUBusyPct) > 0 {
		// Whatever else kept the CPUs busy during the window: other
		// processes (tests, builds), the driver, interrupts.
		var busy float64
		for _, v := range results[0].CPUBusyPct {
			busy += v
		}
		rec.OtherCPUPct = max(0, busy-rec.ServerCPUPct-rec.ClientCPUPct)
	}
	rec.OK = len(problems) == 0 && len(results) == len(argv)
	rec.Error = strings.Join(problems, "; ")
	return rec
}

// measured runs one load generator, with the arguments args gives for the
// fresh server s (started with serverArgs and listening on addr), and
// returns its result; the server is stopped when done. problems lists what
// went wrong (the result may still be there).
func (h *harness) measured(ctx context.Context, s serverSpec, serverArgs []string, name string, args func(addr string, srv *proc) ([]string, error), limit time.Duration) (res *loadgen.Result, raws []json.RawMessage, info serverInfo, problems []string) {
	srv, addr, err := h.startServer(ctx, s, serverArgs...)
	if err != nil {
		return nil, nil, info, []string{err.Error()}
	}
	defer srv.stop(3 * time.Second)
	a, err := args(addr, srv)
	if err != nil {
		return nil, nil, info, []string{fmt.Sprintf("%s: %v", s.Name, err)}
	}
	results, raws, problems := h.runLoadgens(ctx, name, [][]string{a}, limit)
	if srv.exited() {
		problems = append(problems, fmt.Sprintf("server exited during the test: %v%s", srv.exitErr(), srv.diag()))
	} else if i, err := h.inspectServer(srv); err != nil { // again, now that all its threads exist
		problems = append(problems, err.Error())
	} else {
		info = i
	}
	if len(results) == 1 {
		res = results[0]
	} else if len(problems) == 0 {
		problems = append(problems, "no load generator result")
	}
	return res, raws, info, problems
}

// fanoutSpec describes a fan-out round: publishes awaited one at a time
// (gap apart), then a burst; the load generator (named lgName) gets
// loadgenArgs(server address, server, subscribers) (mode, target,
// connections...) and the server serverArgs.
type fanoutSpec struct {
	serverArgs       []string
	lgName           string
	publishes, burst int
	gap              time.Duration
	loadgenArgs      func(addr string, srv *proc, n int) ([]string, error)
}

// publishTimeout bounds one publish (or the burst) of a fan-out round.
const publishTimeout = 20 * time.Second

// measureFanout measures publishing to n subscribers of a fresh server s.
func (h *harness) measureFanout(ctx context.Context, s serverSpec, round, n int, spec fanoutSpec) (rec fanoutRecord) {
	rec = fanoutRecord{Server: s.Name, Round: round, Subscribers: n, Publishes: spec.publishes, Burst: spec.burst}
	schedule := time.Duration(spec.publishes+1) * (publishTimeout + spec.gap)
	args := func(addr string, srv *proc) ([]string, error) {
		a, err := spec.loadgenArgs(addr, srv, n)
		return append(a, "-publishes", fmt.Sprint(spec.publishes), "-publish-burst", fmt.Sprint(spec.burst),
			"-publish-gap", spec.gap.String(), "-publish-timeout", publishTimeout.String(),
			"-duration", schedule.String(),
			"-setup-timeout", setupTimeout.String(), "-server-pid", fmt.Sprint(srv.pid())), err
	}
	limit := setupTimeout + schedule + 15*time.Second
	res, raws, info, problems := h.measured(ctx, s, spec.serverArgs, spec.lgName, args, limit)
	rec.Loadgen, rec.ServerInfo = raws, info
	if res != nil {
		rec.LoadgenCPUs, rec.LoadgenGOMAXPROCS = res.CPUs, res.GOMAXPROCS
		rec.P50us, rec.P99us, rec.MaxUs = res.P50us, res.P99us, res.MaxUs
		rec.BurstP99us = res.BurstP99us
		if f := res.Fanout; f != nil {
			rec.CompleteP50us = f.CompleteP50us
			rec.BurstEvents, rec.BurstSec, rec.DeliveredPerSec = f.BurstEvents, f.BurstSec, f.BurstEventsPerSec
			rec.BurstServerCPUPct, rec.BurstClientCPUPct = f.BurstServerCPUPct, f.BurstClientCPUPct
		} else {
			problems = append(problems, "the load generator ran no fan-out schedule")
		}
		if res.Events > 0 {
			rec.ServerCPUusPerEvent = res.ServerCPU * 1e6 / float64(res.Events)
			rec.ServerSysUsPerEvent = res.ServerSysCPU * 1e6 / float64(res.Events)
		}
		if w := res.WindowSec; w > 0 {
			rec.OtherCPUPct = otherCPU(res, res.ServerCPU/w*100, res.ClientCPU/w*100)
		}
	}
	rec.OK = len(problems) == 0
	rec.Error = strings.Join(problems, "; ")
	return rec
}
