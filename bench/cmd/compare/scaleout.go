package main

// The scale-out benchmarks, with bench/servers/ssecluster:
//
//   - "compare fanout": fan-out latency through Redis. The same streams
//     (10,000 by default) subscribed to one topic of one server process
//     with the in-memory broker ("memory"), and of two server processes
//     on one address sharing a Redis through pubsub/redisbroker ("redis");
//     publishes awaited one at a time give the latency from the publish to
//     each receipt and to the last one, then a burst gives the delivered
//     events/s. Goal: the p99 latency through Redis within 1.5× of the
//     single process's.
//   - "compare sse100k": 100,000 concurrent streams on this machine, over
//     eight server processes on one address sharing a topic through Redis
//     and seven load generator processes bound to eight loopback source
//     addresses; a few publishes reach all of them. The memory per stream,
//     the servers' CPU and the publish-to-last-receipt time.
//
// Both run the measurement of cluster.go; the publishes go through the
// coordinator of coordinator.go.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/workerman-go/workerman/bench/loadgen"
)

// fanoutConfigs are the configurations of compare fanout, in order.
var fanoutConfigs = []string{"memory", "redis"}

// scaleOptions are the settings of a fanout or sse100k run.
type scaleOptions struct {
	Bench      string        `json:"bench"` // "fanout" or "sse100k"
	Configs    string        `json:"configs,omitempty"`
	Rounds     int           `json:"rounds"`
	Streams    int           `json:"streams"`
	Servers    int           `json:"servers"` // redis configuration (fanout) or the run (sse100k)
	Loadgens   int           `json:"loadgens"`
	Src        string        `json:"src"`
	Loops      int           `json:"loadgen_loops"`
	Publishes  int           `json:"publishes"`
	Burst      int           `json:"burst"`
	PublishGap time.Duration `json:"publish_gap_ns"`
	Settle     time.Duration `json:"settle_ns"`
	Heartbeat  time.Duration `json:"heartbeat_ns"`
	Redis      bool          `json:"redis"` // sse100k
	MinMemMiB  int64         `json:"min_mem_available_mib"`
	Pin        bool          `json:"pin"`
	Quick      bool          `json:"quick"`
	Timeout    time.Duration `json:"timeout_ns"`
	Out        string        `json:"-"`

	configs []string
}

// fanoutMain runs compare fanout with the arguments after "fanout".
func fanoutMain(args []string) int {
	o := scaleOptions{Bench: "fanout"}
	fs := flag.NewFlagSet("compare fanout", flag.ExitOnError)
	fs.StringVar(&o.Configs, "configs", strings.Join(fanoutConfigs, ","), "comma-separated configurations: memory (one process, in-memory broker), redis (-servers processes sharing a Redis)")
	fs.IntVar(&o.Rounds, "rounds", 3, "rounds; each measures every configuration once, the order rotating")
	fs.IntVar(&o.Streams, "streams", 10000, "subscribers (at most 19,000: one server process holds them all in the memory configuration)")
	fs.IntVar(&o.Servers, "servers", 2, "redis: server processes on one address (SO_REUSEPORT)")
	fs.IntVar(&o.Loadgens, "loadgens", 0, "load generator processes (0: one per 15,000 streams)")
	fs.StringVar(&o.Src, "src", "", "comma-separated loopback source addresses of the load generators (empty: 127.0.0.1)")
	fs.IntVar(&o.Loops, "loadgen-loops", 1, "epoll loops per load generator")
	fs.IntVar(&o.Publishes, "publishes", 30, "publishes awaited one at a time at every subscriber (the latency)")
	fs.IntVar(&o.Burst, "burst", 20, "publishes back to back after them (the delivered events/s)")
	fs.DurationVar(&o.PublishGap, "publish-gap", 20*time.Millisecond, "pause after each awaited publish")
	fs.DurationVar(&o.Settle, "settle", time.Second, "wait once every stream is up, before reading memory and publishing")
	fs.DurationVar(&o.Heartbeat, "heartbeat", time.Minute, "the streams' heartbeat interval: longer than the connect phase and the schedule, so that no heartbeat (a write per stream) falls into the measured window")
	fs.BoolVar(&o.Pin, "pin", true, "pin the servers and Redis to the first CPU, the load generators to the second")
	fs.BoolVar(&o.Quick, "quick", false, "smoke run of about 20 s: 1 round, 1,000 subscribers, 5 publishes, a burst of 5")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "overall time limit")
	fs.StringVar(&o.Out, "out", "", `result file (default bench/results/fanout-<date>.md; "-" for none)`)
	fs.BoolVar(&verbose, "v", false, "show the children's stderr")
	fs.Parse(args)
	if fs.NArg() > 0 {
		logf("compare fanout: unexpected arguments %q", fs.Args())
		return 2
	}
	if o.Quick {
		quickDefaults(fs, map[string]func(){
			"rounds":    func() { o.Rounds = 1 },
			"streams":   func() { o.Streams = 1000 },
			"publishes": func() { o.Publishes = 5 },
			"burst":     func() { o.Burst = 5 },
			"settle":    func() { o.Settle = 200 * time.Millisecond },
			"timeout":   func() { o.Timeout = 3 * time.Minute },
		})
	}
	if err := o.check(); err != nil {
		logf("compare fanout: %v", err)
		return 2
	}
	return runScale(o)
}

// sse100kMain runs compare sse100k with the arguments after "sse100k".
func sse100kMain(args []string) int {
	o := scaleOptions{Bench: "sse100k", Rounds: 1}
	fs := flag.NewFlagSet("compare sse100k", flag.ExitOnError)
	fs.IntVar(&o.Streams, "streams", 100000, "concurrent streams")
	fs.IntVar(&o.Servers, "servers", 8, "server processes on one address (SO_REUSEPORT); each holds about streams ÷ servers (keep it under 17,000)")
	fs.IntVar(&o.Loadgens, "loadgens", 0, "load generator processes (0: one per 15,000 streams)")
	fs.StringVar(&o.Src, "src", "", "comma-separated loopback source addresses (default: 127.0.0.2 onwards, one per 12,500 streams, at least 2)")
	fs.IntVar(&o.Loops, "loadgen-loops", 1, "epoll loops per load generator")
	fs.IntVar(&o.Publishes, "publishes", 5, "publishes awaited one at a time at every stream")
	fs.IntVar(&o.Burst, "burst", 0, "publishes back to back after them (0: none)")
	fs.DurationVar(&o.PublishGap, "publish-gap", 200*time.Millisecond, "pause after each awaited publish")
	fs.DurationVar(&o.Settle, "settle", 2*time.Second, "wait once every stream is up, before reading memory and publishing")
	fs.BoolVar(&o.Redis, "redis", true, "share the topic through a Redis (false: the in-memory broker, which needs -servers 1)")
	fs.Int64Var(&o.MinMemMiB, "min-mem", 0, "refuse to run with less MemAvailable than this, MiB (0: 64 KiB per stream + 1 GiB)")
	fs.DurationVar(&o.Heartbeat, "heartbeat", time.Minute, "the streams' heartbeat interval: longer than the connect phase and the schedule, so that no heartbeat (a write per stream) falls into the measured window")
	fs.BoolVar(&o.Pin, "pin", true, "pin the servers and Redis to the first CPU, the load generators to the second")
	fs.BoolVar(&o.Quick, "quick", false, "smoke run of about 15 s: 6,000 streams over 3 servers and 2 load generators, 3 publishes")
	fs.DurationVar(&o.Timeout, "timeout", 8*time.Minute, "overall time limit")
	fs.StringVar(&o.Out, "out", "", `result file (default bench/results/sse100k-<date>.md; "-" for none)`)
	fs.BoolVar(&verbose, "v", false, "show the children's stderr")
	fs.Parse(args)
	if fs.NArg() > 0 {
		logf("compare sse100k: unexpected arguments %q", fs.Args())
		return 2
	}
	if o.Quick {
		quickDefaults(fs, map[string]func(){
			"streams":   func() { o.Streams = 6000 },
			"servers":   func() { o.Servers = 3 },
			"loadgens":  func() { o.Loadgens = 2 },
			"publishes": func() { o.Publishes = 3 },
			"settle":    func() { o.Settle = 500 * time.Millisecond },
			"timeout":   func() { o.Timeout = 3 * time.Minute },
		})
	}
	if err := o.check(); err != nil {
		logf("compare sse100k: %v", err)
		return 2
	}
	return runScale(o)
}

// perServerLimit is the most streams a server process may have to hold:
// a process has at most 20,000 descriptors, and SO_REUSEPORT spreads the
// connections unevenly.
const perServerLimit = 17000

// check validates the options and fills in the defaults that depend on
// others.
func (o *scaleOptions) check() error {
	if o.Bench == "fanout" {
		tests, err := parseTests(o.Configs, fanoutConfigs)
		if err != nil {
			return fmt.Errorf("-configs: %v", err)
		}
		o.configs = nil
		for _, c := range fanoutConfigs {
			if tests[c] {
				o.configs = append(o.configs, c)
			}
		}
		o.Redis = tests["redis"]
		if tests["memory"] && o.Streams > loadgen.DefaultMaxConns {
			return fmt.Errorf("-streams: %d exceed what one server process can hold (%d)", o.Streams, loadgen.DefaultMaxConns)
		}
	} else {
		o.configs = []string{"memory"}
		if o.Redis {
			o.configs = []string{"redis"}
		} else if o.Servers != 1 {
			return fmt.Errorf("-redis=false needs -servers 1: the in-memory broker does not reach other processes")
		}
		if o.MinMemMiB == 0 {
			o.MinMemMiB = int64(o.Streams)*64/1024 + 1024
		}
	}
	if o.Loadgens == 0 {
		o.Loadgens = (o.Streams + 14999) / 15000
	}
	if o.Bench == "sse100k" && o.Src == "" {
		o.Src = defaultSources(o.Streams)
	}
	switch {
	case o.Rounds < 1:
		return fmt.Errorf("-rounds must be at least 1")
	case o.Streams < 1:
		return fmt.Errorf("-streams must be positive")
	case o.Servers < 1:
		return fmt.Errorf("-servers must be positive")
	case o.Loadgens < 1 || o.Loadgens > o.Streams:
		return fmt.Errorf("-loadgens must be between 1 and the number of streams")
	case (o.Streams+o.Loadgens-1)/o.Loadgens > loadgen.DefaultMaxConns:
		return fmt.Errorf("%d streams over %d load generators exceed %d per process: raise -loadgens", o.Streams, o.Loadgens, loadgen.DefaultMaxConns)
	case o.Redis && o.Streams/o.Servers > perServerLimit:
		return fmt.Errorf("%d streams over %d servers exceed about %d per process: raise -servers", o.Streams, o.Servers, perServerLimit)
	case o.Publishes < 1 || o.Burst < 0 || o.Burst > 1000:
		return fmt.Errorf("-publishes must be positive and -burst from 0 to 1000")
	case o.Loops < 1:
		return fmt.Errorf("-loadgen-loops must be positive")
	case o.PublishGap < 0 || o.Settle < 0:
		return fmt.Errorf("-publish-gap and -settle must not be negative")
	case o.Heartbeat < time.Second:
		return fmt.Errorf("-heartbeat must be at least 1s")
	}
	if err := checkSources(o.Src, o.Streams); err != nil {
		return fmt.Errorf("-src: %v", err)
	}
	return nil
}

// sourcePorts is about how many connections one source address can open
// to one server address (the ephemeral port range, 32768–60999 by default,
// less a margin).
const sourcePorts = 25000

// defaultSources is 127.0.0.2, 127.0.0.3, ...: one address per 12,500
// streams (half of what one can take), at least two.
func defaultSources(streams int) string {
	n := max(2, (streams+12499)/12500)
	var s []string
	for i := range n {
		s = append(s, fmt.Sprintf("127.0.0.%d", 2+i))
	}
	return strings.Join(s, ",")
}

// checkSources checks a -src list: loopback IPv4 addresses, enough of them
// for streams connections to one address ("" counts as one, 127.0.0.1).
func checkSources(src string, streams int) error {
	n := 1
	if src != "" {
		n = 0
		for _, s := range strings.Split(src, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			if _, err := parseLoopbackAddr(s); err != nil {
				return err
			}
			n++
		}
		if n == 0 {
			return fmt.Errorf("no address in %q", src)
		}
	}
	if streams > n*sourcePorts {
		return fmt.Errorf("%d streams need at least %d source addresses (about %d connections each to one server address), %d given",
			streams, (streams+sourcePorts-1)/sourcePorts, sourcePorts, n)
	}
	return nil
}

// scaleDriver runs a fanout or sse100k benchmark.
type scaleDriver struct {
	harness
	o        scaleOptions
	recs     []clusterRecord
	failures int
}

// runScale runs the benchmark of o and returns the exit status.
func runScale(o scaleOptions) int {
	return guard(o.Timeout, func(ctx context.Context, reg *registry) (int, error) {
		d := &scaleDriver{o: o, harness: harness{reg: reg}}
		err := d.run(ctx)
		return d.failures, err
	})
}

// spec is the measurement of configuration config.
func (d *scaleDriver) spec(config string) clusterSpec {
	o := d.o
	s := clusterSpec{Config: config, Servers: 1, Streams: o.Streams, Loadgens: o.Loadgens, Src: o.Src, Loops: o.Loops,
		Publishes: o.Publishes, Burst: o.Burst, Gap: o.PublishGap, Settle: o.Settle, Heartbeat: o.Heartbeat}
	if config == "redis" {
		s.Servers, s.Redis = o.Servers, true
	}
	return s
}

func (d *scaleDriver) run(ctx context.Context) error {
	if err := d.prepare(ctx, d.o.Pin, []serverSpec{clusterServer}); err != nil {
		return err
	}
	defer d.cleanup()
	o := d.o
	if avail := memAvailableMiB(); o.MinMemMiB > 0 && avail >= 0 && avail < o.MinMemMiB {
		return fmt.Errorf("only %d MiB of memory available, %d wanted for %d streams (-min-mem)", avail, o.MinMemMiB, o.Streams)
	}
	logf("compare %s: %d round(s) of %s; %d streams, %d load generator(s) (sources %s), %d publishes + a burst of %d; load average %s, %d MiB available",
		o.Bench, o.Rounds, strings.Join(o.configs, ", "), o.Streams, o.Loadgens, sourceLabel(o.Src), o.Publishes, o.Burst, d.load0, memAvailableMiB())
	for r := 1; r <= o.Rounds; r++ {
		for i := range o.configs {
			if err := ctx.Err(); err != nil {
				return d.abort(err, len(d.recs) > 0, d.report)
			}
			config := o.configs[(i+r-1)%len(o.configs)]
			rec := d.measureCluster(ctx, d.spec(config), r)
			d.recs = append(d.recs, rec)
			if !rec.OK {
				d.failures++
			}
			logCluster(rec)
		}
	}
	d.load1 = loadAvg()
	return d.report()
}

func logCluster(r clusterRecord) {
	if !r.OK {
		logf("  round %d %-6s FAILED: %s", r.Round, r.Config, r.Error)
	}
	logf("  round %d %-6s %d streams on %d server(s) %v in %.1fs  %.2f KiB/stream  latency p50 %.1f ms p99 %.1f ms  last receipt median %.1f ms max %.1f ms  burst %.0f events/s  server CPU %.2f µs/event (Redis %.2f)  other CPU %.0f %%",
		r.Round, r.Config, r.Streams, r.Servers, r.StreamsPerServer, r.ConnectSec, r.BytesPerStream/1024, r.P50us/1e3, r.P99us/1e3,
		r.CompleteP50us/1e3, r.CompleteMaxUs/1e3, r.DeliveredPerSec, r.ServerUsPerEvt, r.RedisUsPerEvt, r.OtherCPUPct)
}

// report prints and writes the results.
func (d *scaleDriver) report() error {
	d.load1 = loadAvg()
	var tables string
	if d.o.Bench == "fanout" {
		tables = fanoutTables(summarizeScale(d.recs, d.o.configs), d.o)
	} else {
		tables = sse100kTables(d.recs, d.o)
	}
	return d.harness.report(d.o.Out, results{
		kind:     d.o.Bench,
		title:    scaleTitle(d.o.Bench),
		tables:   tables,
		notes:    scaleNotes(d.recs),
		legend:   scaleLegend(d.o.Bench),
		settings: d.settings(),
		perRound: clusterTable(d.recs),
		raw: func() ([]byte, error) {
			recs := make([]clusterRecord, len(d.recs))
			for i, r := range d.recs {
				r.Loadgen = stripHists(r.Loadgen)
				recs[i] = r
			}
			return json.MarshalIndent(struct {
				Options scaleOptions    `json:"options"`
				Machine machine         `json:"machine"`
				Pinning pinning         `json:"pinning"`
				Records []clusterRecord `json:"records"`
			}{d.o, d.machine(), d.pin, recs}, "", "  ")
		},
	})
}

// settings describes the run.
func (d *scaleDriver) settings() string {
	o := d.o
	var b strings.Builder
	fmt.Fprintf(&b, "- Machine: %s\n", d.machine())
	fmt.Fprintf(&b, "- Mode: %s; %d round(s); configurations %s\n", modeName(o.Quick), o.Rounds, strings.Join(o.configs, ", "))
	fmt.Fprintf(&b, "- Server: %s; memory: 1 process, in-memory broker; redis: %d process(es) on one address (SO_REUSEPORT) with pubsub/redisbroker on a redis-server of the run's own (`--save \"\" --appendonly no`, temporary directory)\n", clusterServer.Label, o.Servers)
	fmt.Fprintf(&b, "- Streams: %d over %d load generator process(es) (%d epoll loop(s) each), sources %s\n", o.Streams, o.Loadgens, o.Loops, sourceLabel(o.Src))
	fmt.Fprintf(&b, "- Schedule: %d publishes awaited one at a time at every stream (%v apart), then a burst of %d; settle %v before; heartbeat every %v\n", o.Publishes, o.PublishGap, o.Burst, o.Settle, o.Heartbeat)
	seen := map[string][]serverInfo{}
	for _, r := range d.recs {
		seen[clusterServer.Name] = append(seen[clusterServer.Name], r.ServerInfo...)
	}
	fmt.Fprintf(&b, "- Pinning: %s; redis-server on the server CPU too\n",
		d.pinSummary(seenSummary([]serverSpec{clusterServer}, seen), "the CPU list each load generator reports", ""))
	return b.String()
}
