package main

// One measurement of the scale-out benchmarks: several processes of
// bench/servers/ssecluster on one address (SO_REUSEPORT), sharing a topic
// through a Redis (pubsub/redisbroker) or, with one process, the in-memory
// broker; streams spread over several load generator processes and source
// addresses; publishes through the coordinator (coordinator.go).

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/workerman-go/workerman/bench/internal/procfs"
	"github.com/workerman-go/workerman/bench/loadgen"
)

// clusterServer is the server of the scale-out benchmarks.
var clusterServer = serverSpec{"ssecluster", "./servers/ssecluster", "workerman-go + pubsub (bench/servers/ssecluster)"}

// clusterPublishTimeout bounds a load generator's wait for one publish:
// the first one also waits until every load generator is connected and the
// memory is read.
const clusterPublishTimeout = setupTimeout + 45*time.Second

// clusterSpec describes one measurement.
type clusterSpec struct {
	Config    string        `json:"config"` // "memory" or "redis"
	Servers   int           `json:"servers"`
	Redis     bool          `json:"redis"`
	Streams   int           `json:"streams"`
	Loadgens  int           `json:"loadgens"`
	Src       string        `json:"src"`
	Loops     int           `json:"loadgen_loops"`
	Publishes int           `json:"publishes"`
	Burst     int           `json:"burst"`
	Gap       time.Duration `json:"publish_gap_ns"`
	Settle    time.Duration `json:"settle_ns"`
	Heartbeat time.Duration `json:"heartbeat_ns"`
}

// clusterRecord is the outcome of one measurement.
type clusterRecord struct {
	Config string `json:"config"`
	Round  int    `json:"round"`
	OK     bool   `json:"ok"`
	Error  string `json:"error,omitempty"`

	Servers          int     `json:"servers"`
	Loadgens         int     `json:"loadgens"`
	Streams          int     `json:"streams"`            // response heads received, all load generators
	StreamsPerServer []int   `json:"streams_per_server"` // descriptors each server gained
	ConnectSec       float64 `json:"connect_sec"`        // load generators started → every stream up
	ConnectCPUSec    float64 `json:"connect_server_cpu_sec"`
	ConnectSysSec    float64 `json:"connect_server_sys_cpu_sec"`

	// Memory: per server, 0.5 s after start and with the streams (after
	// the settle time); Redis's too.
	RSSBefore      []int64 `json:"rss_before"`
	RSSAfter       []int64 `json:"rss_after"`
	BytesPerStream float64 `json:"bytes_per_stream"` // sum of the deltas ÷ streams
	RedisRSSBefore int64   `json:"redis_rss_before,omitempty"`
	RedisRSSAfter  int64   `json:"redis_rss_after,omitempty"`

	// The publishes awaited one at a time: latency from the publish (the
	// time in the event's data) to each receipt, every stream, every
	// publish; and per publish, from the publish to the last receipt over
	// all load generators (completion).
	Publishes     int       `json:"publishes"`
	P50us         float64   `json:"p50_us"`
	P99us         float64   `json:"p99_us"`
	MaxUs         float64   `json:"max_us"`
	CompleteUs    []float64 `json:"complete_us"`
	CompleteP50us float64   `json:"complete_p50_us"`
	CompleteMaxUs float64   `json:"complete_max_us"`
	// The burst: burst × streams events from its first publish to the last
	// receipt.
	Burst           int     `json:"burst"`
	BurstSec        float64 `json:"burst_sec"`
	DeliveredPerSec float64 `json:"delivered_per_sec"`
	BurstP99us      float64 `json:"burst_p99_us"`

	// The whole schedule (gate open → every load generator done).
	Events          uint64  `json:"events"` // received, all streams
	WindowSec       float64 `json:"window_sec"`
	ServerCPUSec    float64 `json:"server_cpu_sec"` // all server processes, user + system
	ServerSysSec    float64 `json:"server_sys_cpu_sec"`
	RedisCPUSec     float64 `json:"redis_cpu_sec"`
	ServerUsPerEvt  float64 `json:"server_cpu_us_per_event"`
	ServerWrites    uint64  `json:"server_writes"`           // write system calls of the servers
	WritesPerEvt    float64 `json:"server_writes_per_event"` // ÷ events
	RedisUsPerEvt   float64 `json:"redis_cpu_us_per_event"`
	ServerCPUPct    float64 `json:"server_cpu_pct"`
	LoadgenCPUPct   float64 `json:"loadgen_cpu_pct"`
	OtherCPUPct     float64 `json:"other_cpu_pct"`
	MemAvailableMiB int64   `json:"mem_available_mib"` // before the measurement

	ServerInfo []serverInfo      `json:"server_info"`
	Schedule   schedule          `json:"schedule"`
	Loadgen    []json.RawMessage `json:"loadgen,omitempty"`
}

// measureCluster runs one measurement of spec on fresh servers (and a
// fresh Redis).
func (h *harness) measureCluster(ctx context.Context, spec clusterSpec, round int) (rec clusterRecord) {
	rec = clusterRecord{Config: spec.Config, Round: round, Servers: spec.Servers, Loadgens: spec.Loadgens,
		Publishes: spec.Publishes, Burst: spec.Burst}
	var problems []string
	defer func() {
		rec.OK = len(problems) == 0
		rec.Error = strings.Join(problems, "; ")
	}()
	fail := func(err error) { problems = append(problems, err.Error()) }
	rec.MemAvailableMiB = memAvailableMiB()

	// Redis, then the servers.
	args := []string{"-topic", fmt.Sprintf("bench-%d-%s-%d", round, spec.Config, time.Now().UnixNano()), "-heartbeat", spec.Heartbeat.String()}
	var redis *proc
	if spec.Redis {
		var addr string
		var err error
		redis, addr, err = h.startRedis(ctx)
		if err != nil {
			fail(err)
			return rec
		}
		defer redis.stop(3 * time.Second)
		args = append(args, "-redis", addr, "-prefix", fmt.Sprintf("wmbench:%d:", os.Getpid()))
	}
	var servers []*proc
	defer func() {
		for _, s := range servers {
			s.stop(3 * time.Second)
		}
	}()
	first, addr, err := h.startServer(ctx, clusterServer, args...)
	if err != nil {
		fail(err)
		return rec
	}
	servers = append(servers, first)
	for i := 1; i < spec.Servers; i++ {
		s, a, err := h.startServer(ctx, clusterServer, append([]string{"-listen", addr}, args...)...)
		if err != nil {
			fail(fmt.Errorf("server %d: %w", i+1, err))
			return rec
		}
		servers = append(servers, s)
		if a != addr {
			fail(fmt.Errorf("server %d listens on %s, not on %s with the others", i+1, a, addr))
			return rec
		}
	}
	if !sleepCtx(ctx, 500*time.Millisecond) {
		fail(ctx.Err())
		return rec
	}
	fdsBefore := make([]int, len(servers))
	for i, s := range servers {
		v, err := procfs.TreeRSS(s.pid())
		if err != nil {
			fail(fmt.Errorf("reading the memory of server %d: %w", i+1, err))
			return rec
		}
		rec.RSSBefore = append(rec.RSSBefore, v)
		fdsBefore[i], _ = procfs.TreeFDs(s.pid())
	}
	if redis != nil {
		rec.RedisRSSBefore, _ = procfs.TreeRSS(redis.pid())
	}

	// The coordinator, then the load generators.
	pub, closePub := serverPublisher(addr)
	defer closePub()
	co := newCoordinator(ctx, spec.Loadgens, spec.Publishes, spec.Burst, pub)
	coAddr, err := co.start()
	if err != nil {
		fail(err)
		return rec
	}
	defer co.close()
	serverPids := make([]int, len(servers))
	for i, s := range servers {
		serverPids[i] = s.pid()
	}
	connectCPU0, connectSys0, _ := sumTreeCPU(serverPids)
	t0 := time.Now()
	shares := split(spec.Streams, spec.Loadgens)
	hold := setupTimeout + spec.Settle + time.Duration(spec.Publishes+2)*(clusterPublishTimeout+spec.Gap)
	var lgs []*proc
	defer func() {
		for _, p := range lgs {
			p.stop(3 * time.Second)
		}
	}()
	for k, n := range shares {
		a := []string{"-mode", loadgen.ModeSSE, "-target", addr, "-conns", fmt.Sprint(n), "-loops", fmt.Sprint(spec.Loops),
			"-publishes", fmt.Sprint(spec.Publishes), "-publish-burst", fmt.Sprint(spec.Burst),
			"-publish-gap", spec.Gap.String(), "-publish-timeout", clusterPublishTimeout.String(),
			"-publish-target", coAddr, "-publish-path", fmt.Sprintf("/publish/%d", k),
			"-duration", hold.String(), "-setup-timeout", setupTimeout.String()}
		if spec.Src != "" {
			a = append(a, "-src", spec.Src)
		}
		p, err := startProc(h.reg, fmt.Sprintf("loadgen-%s-%d", spec.Config, k), "READY", false, h.pin.loadgenCPU(), filepath.Join(h.bin, "loadgen"), a...)
		if err != nil {
			fail(err)
			return rec
		}
		lgs = append(lgs, p)
	}
	for _, p := range lgs {
		line, err := p.waitMarker(ctx, setupTimeout+15*time.Second)
		if err != nil {
			fail(err)
			continue
		}
		var n int
		fmt.Sscanf(line, "READY %d", &n)
		rec.Streams += n
	}
	if rec.Streams != spec.Streams {
		problems = append(problems, fmt.Sprintf("%d of %d streams established", rec.Streams, spec.Streams))
	}
	// Wait (bounded) until the servers hold the streams' descriptors.
	deadline := time.Now().Add(15 * time.Second)
	for len(problems) == 0 {
		got := 0
		for i, s := range servers {
			v, _ := procfs.TreeFDs(s.pid())
			got += v - fdsBefore[i]
		}
		if got >= rec.Streams || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	rec.ConnectSec = time.Since(t0).Seconds()
	if v, sys, err := sumTreeCPU(serverPids); err == nil {
		rec.ConnectCPUSec, rec.ConnectSysSec = (v - connectCPU0).Seconds(), (sys - connectSys0).Seconds()
	}
	if len(problems) > 0 {
		co.close()
		return rec
	}
	if !sleepCtx(ctx, spec.Settle) {
		fail(ctx.Err())
		return rec
	}
	for i, s := range servers {
		v, _ := procfs.TreeFDs(s.pid())
		rec.StreamsPerServer = append(rec.StreamsPerServer, v-fdsBefore[i])
		rss, err := medianRSS(s.pid())
		if err != nil {
			fail(fmt.Errorf("reading the memory of server %d: %w", i+1, err))
			return rec
		}
		rec.RSSAfter = append(rec.RSSAfter, rss)
		rec.BytesPerStream += float64(rss - rec.RSSBefore[i])
		info, err := h.inspectServer(s)
		if err != nil {
			fail(err)
		}
		rec.ServerInfo = append(rec.ServerInfo, info)
	}
	if rec.Streams > 0 {
		rec.BytesPerStream /= float64(rec.Streams)
	}
	if redis != nil {
		rec.RedisRSSAfter, _ = procfs.TreeRSS(redis.pid())
	}

	// The schedule.
	redisPid := 0
	if redis != nil {
		redisPid = redis.pid()
	}
	sampler := startCPUSampler(serverPids, redisPid, 50*time.Millisecond)
	co.open()
	results := make([]*loadgen.Result, len(lgs))
	limit := hold + 15*time.Second
	for k, p := range lgs {
		if err := p.wait(ctx, limit); err != nil {
			fail(err)
			continue
		}
		res, raw, err := parseResult(p)
		if err != nil {
			fail(err)
			continue
		}
		results[k] = res
		rec.Loadgen = append(rec.Loadgen, raw)
		if !res.OK {
			problems = append(problems, fmt.Sprintf("%s: %s", p.name, res.Error))
		}
		if err := h.checkLoadgen(p, res); err != nil {
			fail(err)
		}
	}
	points := sampler.finish()
	for i, s := range servers {
		if s.exited() {
			problems = append(problems, fmt.Sprintf("server %d exited during the test: %v%s", i+1, s.exitErr(), s.diag()))
		}
	}
	if redis != nil && redis.exited() {
		problems = append(problems, fmt.Sprintf("redis-server exited during the test: %v%s", redis.exitErr(), redis.diag()))
	}
	rec.Schedule = co.result()
	problems = append(problems, rec.Schedule.Errors...)
	rec.summarize(results, points)
	if points[0].serversErr != nil {
		problems = append(problems, fmt.Sprintf("reading the servers' CPU time: %v", points[0].serversErr))
	}
	return rec
}

// summarize computes the figures of the schedule from the load
// generators' results (nil for one that reported nothing) and what the
// coordinator saw.
func (rec *clusterRecord) summarize(results []*loadgen.Result, points []cpuPoint) {
	var busy0, tot0, busy1, tot1 []uint64
	var hist, burst loadgen.Hist
	completeUs := make([][]float64, len(results))
	burstSec := make([]float64, len(results))
	var clientCPU float64
	for k, r := range results {
		if r == nil {
			continue
		}
		rec.Events += r.Events
		clientCPU += r.ClientCPU
		if r.Latency != nil {
			hist.Merge(r.Latency)
		}
		if r.BurstLatency != nil {
			burst.Merge(r.BurstLatency)
		}
		if f := r.Fanout; f != nil {
			completeUs[k] = f.CompleteUs
			if f.BurstComplete {
				burstSec[k] = f.BurstSec
			}
		}
	}
	rec.P50us, rec.P99us, rec.MaxUs = us(hist.Quantile(0.5)), us(hist.Quantile(0.99)), us(hist.Max())
	rec.BurstP99us = us(burst.Quantile(0.99))
	rec.CompleteUs = completions(rec.Schedule.Times, rec.Schedule.Arrivals, completeUs, rec.Publishes)
	if len(rec.CompleteUs) > 0 {
		c := append([]float64(nil), rec.CompleteUs...)
		rec.CompleteP50us, _ = median(c)
		sort.Float64s(c)
		rec.CompleteMaxUs = c[len(c)-1]
	}
	if rec.Burst > 0 {
		if s, ok := burstSpan(rec.Schedule.Times, rec.Schedule.Arrivals, burstSec, rec.Publishes); ok && s > 0 {
			rec.BurstSec = s
			rec.DeliveredPerSec = float64(rec.Burst) * float64(rec.Streams) / s
		}
	}
	// The CPU window: from the first sample (the gate opening) to the first
	// one after the last receipt (before the load generators close their
	// streams), or the last one.
	if len(points) > 0 {
		p0, p1 := points[0], windowEnd(points, rec.lastReceipt(completeUs, burstSec))
		rec.WindowSec = float64(p1.t-p0.t) / 1e9
		rec.ServerCPUSec, rec.ServerSysSec = (p1.cpu - p0.cpu).Seconds(), (p1.sys - p0.sys).Seconds()
		rec.RedisCPUSec = (p1.redis - p0.redis).Seconds()
		rec.ServerWrites = p1.writes - p0.writes
		busy0, tot0, busy1, tot1 = p0.busy, p0.tot, p1.busy, p1.tot
	}
	if rec.Events > 0 {
		rec.ServerUsPerEvt = rec.ServerCPUSec * 1e6 / float64(rec.Events)
		rec.RedisUsPerEvt = rec.RedisCPUSec * 1e6 / float64(rec.Events)
		rec.WritesPerEvt = float64(rec.ServerWrites) / float64(rec.Events)
	}
	if w := rec.WindowSec; w > 0 {
		rec.ServerCPUPct = rec.ServerCPUSec / w * 100
		rec.LoadgenCPUPct = clientCPU / w * 100
		if len(busy0) > 0 && len(busy1) == len(busy0) {
			var busy float64
			for _, v := range procfs.BusyPercent(busy0, tot0, busy1, tot1) {
				busy += v
			}
			rec.OtherCPUPct = max(0, busy-rec.ServerCPUPct-rec.RedisCPUSec/w*100-rec.LoadgenCPUPct)
		}
	}
}

// lastReceipt is when the schedule's last event reached its last stream
// (Unix ns), or 0 when that is not known: the burst's, or without a burst
// the last publish's.
func (rec *clusterRecord) lastReceipt(completeUs [][]float64, burstSec []float64) int64 {
	sc := rec.Schedule
	if rec.Burst > 0 {
		last, ok := lastReceipt(sc.Arrivals, rec.Publishes, func(k int) (float64, bool) { return burstSec[k] * 1e6, burstSec[k] > 0 })
		if !ok {
			return 0
		}
		return last
	}
	j := rec.Publishes - 1
	last, ok := lastReceipt(sc.Arrivals, j, func(k int) (float64, bool) {
		if j < len(completeUs[k]) {
			return completeUs[k][j], true
		}
		return 0, false
	})
	if !ok {
		return 0
	}
	return last
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// sumTreeCPU is the CPU time (user + system, and system) of the process
// trees of pids together.
func sumTreeCPU(pids []int) (total, sys time.Duration, err error) {
	for _, pid := range pids {
		u, s, e := procfs.TreeCPUSplit(pid)
		if e != nil {
			return 0, 0, fmt.Errorf("process %d: %w", pid, e)
		}
		total += u + s
		sys += s
	}
	return total, sys, nil
}

// medianRSS is the median of three readings of pid's tree RSS, 100 ms
// apart.
func medianRSS(pid int) (int64, error) {
	var v []float64
	for i := 0; i < 3; i++ {
		if i > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		r, err := procfs.TreeRSS(pid)
		if err != nil {
			return 0, err
		}
		v = append(v, float64(r))
	}
	m, _ := median(v)
	return int64(m), nil
}

// memAvailableMiB is MemAvailable of /proc/meminfo in MiB (-1 when it
// cannot be read).
func memAvailableMiB() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return kb >> 10
		}
	}
	return -1
}

// startRedis starts a redis-server of its own (no persistence, a temporary
// directory under the build directory, a free loopback port) on the server
// CPU and waits until it answers PING.
func (h *harness) startRedis(ctx context.Context) (*proc, string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, "", errNoRedis
	}
	dir, err := os.MkdirTemp(h.bin, "redis-")
	if err != nil {
		return nil, "", fmt.Errorf("redis: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("redis: finding a free port: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p, err := startProc(h.reg, "redis", "", false, h.pin.serverCPU(), bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--logfile", "", "--maxclients", "1000")
	if err != nil {
		return nil, "", err
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := redisPing(addr); err == nil {
			return p, addr, nil
		} else if p.exited() || time.Now().After(deadline) || ctx.Err() != nil {
			p.stop(2 * time.Second)
			return nil, "", fmt.Errorf("redis-server on %s did not answer PING: %v%s", addr, err, p.diag())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// redisPing sends PING to the Redis at addr and expects +PONG.
func redisPing(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("answered %q", line)
	}
	return nil
}
