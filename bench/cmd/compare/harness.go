package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/workerman-go/workerman/bench/internal/procfs"
	"github.com/workerman-go/workerman/bench/loadgen"
)

// The machinery the benchmarks (echo, http, sse, ws) share: child processes
// that cannot outlive the driver, the build of the binaries, CPU pinning,
// starting and inspecting servers, the echo, idle and fan-out measurements,
// medians and the results file.

// serverSpec names a benchmarked server and the package building it.
// A server without a package is external: not built but run as it is
// (the Workerman anchor, see anchor.go).
type serverSpec struct {
	Name  string `json:"name"`
	Pkg   string `json:"pkg"`
	Label string `json:"label"`
}

// external tells whether s is run as it is rather than built from Pkg.
func (s serverSpec) external() bool { return s.Pkg == "" }

// guard runs fn with a context bounded by timeout and cancelled on
// SIGINT, SIGTERM or SIGHUP, and makes sure that no child process outlives
// the driver, whatever way fn ends (return, panic, a second signal, the
// watchdog). fn returns the number of failed rounds. The result is the exit
// status: 0, 1 when fn failed or some rounds did, 3 on panic or watchdog.
func guard(timeout time.Duration, fn func(ctx context.Context, reg *registry) (failures int, err error)) (code int) {
	reg := newRegistry()
	defer reg.killAll()
	defer func() {
		if r := recover(); r != nil {
			reg.killAll()
			logf("compare: panic: %v", r)
			code = 3
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	go func() {
		s := <-sigs
		logf("compare: %v: stopping (again to kill at once)", s)
		cancel()
		<-sigs
		reg.killAll()
		os.Exit(130)
	}()
	// Last resort if cleanup itself hangs.
	watchdog := time.AfterFunc(timeout+30*time.Second, func() {
		logf("compare: watchdog: overall timeout exceeded, killing everything")
		reg.killAll()
		os.Exit(3)
	})
	defer watchdog.Stop()

	failures, err := fn(ctx, reg)
	if err != nil {
		logf("compare: %v", err)
		return 1
	}
	if failures > 0 {
		return 1
	}
	return 0
}

// quickDefaults applies the values of a -quick run to the flags that
// the command line did not set.
func quickDefaults(flags *flag.FlagSet, quick map[string]func()) {
	set := map[string]bool{}
	flags.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, apply := range quick {
		if !set[name] {
			apply()
		}
	}
}

// harness is the state of a run that both benchmarks share.
type harness struct {
	reg     *registry
	root    string // module root
	bin     string // temp dir with the binaries
	pin     pinning
	started time.Time
	load0   string  // load average at the start
	load1   string  // and at the end
	anchor  *anchor // the Workerman anchor, when it runs (anchor.go)
	anchors int     // anchor processes started, for their temporary directories
}

// setup finds the module root, plans the pinning and creates the directory
// for the binaries; cleanup removes it.
func (h *harness) setup(ctx context.Context, pin bool) error {
	h.started = time.Now()
	h.load0 = loadAvg()
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return fmt.Errorf("run from inside the bench module (cd bench && go run ./cmd/compare)")
	}
	h.root = filepath.Dir(gomod)

	h.pin = planPinning(pin)
	if h.pin.On {
		launcher = h.pin.self
		logf("compare: pinning servers to CPU %d, load generators to CPU %d", h.pin.Server, h.pin.Loadgen)
		if v := os.Getenv("GOMAXPROCS"); v != "" {
			logf("compare: warning: GOMAXPROCS=%s in the environment overrides the one-CPU sizing of the children", v)
		}
	} else {
		logf("compare: pinning %s", h.pin.Note)
	}

	h.bin, err = os.MkdirTemp("", "wm-bench-")
	if err != nil {
		return fmt.Errorf("creating the build directory: %w", err)
	}
	logf("compare: building into %s", h.bin)
	return nil
}

func (h *harness) cleanup() {
	if h.bin != "" {
		os.RemoveAll(h.bin)
	}
}

// prepare sets the run up (setup) and builds the load generator and the
// servers; after an error nothing is left to clean up.
func (h *harness) prepare(ctx context.Context, pin bool, servers []serverSpec) error {
	return h.prepareWith(ctx, pin, servers, nil)
}

// prepareWith is prepare that calls afterSetup (when not nil) once the
// module root is known, before building: an error there ends the run
// before the builds.
func (h *harness) prepareWith(ctx context.Context, pin bool, servers []serverSpec, afterSetup func() error) error {
	if err := h.setup(ctx, pin); err != nil {
		return err
	}
	if afterSetup != nil {
		if err := afterSetup(); err != nil {
			h.cleanup()
			return err
		}
	}
	if err := h.build(ctx, "loadgen", "./cmd/loadgen"); err != nil {
		h.cleanup()
		return err
	}
	for _, s := range servers {
		if s.external() {
			continue
		}
		if err := h.build(ctx, s.Name, s.Pkg); err != nil {
			h.cleanup()
			return err
		}
	}
	return nil
}

// build compiles pkg into the binary name.
func (h *harness) build(ctx context.Context, name, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(h.bin, name), pkg)
	cmd.Dir = h.root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("building %s (%s): %v\n%s", name, pkg, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// selectServers returns the servers of known named in the comma-separated
// list, in the order of the list.
func selectServers(list string, known []serverSpec) ([]serverSpec, error) {
	var out []serverSpec
	seen := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		found := false
		for _, s := range known {
			if s.Name == name {
				out = append(out, s)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown server %q (known: %s)", name, serverNames(known))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no server selected")
	}
	return out, nil
}

// serverNames is the comma-separated list of the names of s.
func serverNames(s []serverSpec) string {
	names := make([]string, len(s))
	for i, v := range s {
		names[i] = v.Name
	}
	return strings.Join(names, ", ")
}

// rotate returns s rotated left by k: round r runs the servers in the
// order rotate(servers, r-1).
func rotate[T any](s []T, k int) []T {
	out := make([]T, 0, len(s))
	for i := range s {
		out = append(out, s[(i+k)%len(s)])
	}
	return out
}

// modeName names a run's mode in its Settings.
func modeName(quick bool) string {
	if quick {
		return "quick"
	}
	return "default"
}

// serverList describes the servers of a run in its Settings.
func serverList(servers []serverSpec) string {
	var out []string
	for _, s := range servers {
		if s.external() {
			out = append(out, fmt.Sprintf("%s = %s (external, see below)", s.Name, s.Label))
			continue
		}
		out = append(out, fmt.Sprintf("%s = %s (%s)", s.Name, s.Label, s.Pkg))
	}
	return strings.Join(out, "; ")
}

// sourceLabel describes the load generator's source addresses.
func sourceLabel(src string) string {
	if src == "" {
		return "kernel choice (127.0.0.1)"
	}
	return src
}

// forRoundsOf runs the enabled tests, in the order of tests, for every
// server of serversOf(test) in an order rotated each round, rounds times;
// sizes gives the sizes a test runs at (nil: once, with size 0). It stops
// at the first error of ctx and returns it.
func forRoundsOf(ctx context.Context, rounds int, serversOf func(test string) []serverSpec, tests []string, enabled map[string]bool,
	sizes func(test string) []int, run func(test string, s serverSpec, round, size int)) error {
	for r := 1; r <= rounds; r++ {
		for _, test := range tests {
			if !enabled[test] {
				continue
			}
			order := rotate(serversOf(test), r-1)
			ns := sizes(test)
			if ns == nil {
				ns = []int{0}
			}
			for _, n := range ns {
				for _, s := range order {
					if err := ctx.Err(); err != nil {
						return err
					}
					run(test, s, r, n)
				}
			}
		}
	}
	return nil
}

// startServer starts a fresh server (with -listen 127.0.0.1:0 and args),
// waits for its LISTENING line (kept in the proc's listening field) and,
// when pinning, checks that it runs on its CPU only.
func (h *harness) startServer(ctx context.Context, s serverSpec, args ...string) (*proc, string, error) {
	if s.external() {
		return h.startAnchor(ctx, s) // its job is in h.anchor, not in args
	}
	args = append([]string{"-listen", "127.0.0.1:0"}, args...)
	p, err := startProc(h.reg, s.Name, "LISTENING", false, h.pin.serverCPU(), filepath.Join(h.bin, s.Name), args...)
	if err != nil {
		return nil, "", err
	}
	line, err := p.waitMarker(ctx, 20*time.Second)
	if err != nil {
		p.stop(2 * time.Second)
		return nil, "", err
	}
	addr, err := parseListening(line)
	if err != nil {
		p.stop(2 * time.Second)
		return nil, "", fmt.Errorf("%s: %v", s.Name, err)
	}
	p.listening = line
	if _, err := h.inspectServer(p); err != nil {
		p.stop(2 * time.Second)
		return nil, "", err
	}
	return p, addr, nil
}

// serverInfo is what the driver saw of a running server (or load
// generator): the CPUs its threads may run on (Cpus_allowed_list of every
// thread; several lists joined by " / " when they differ), its thread count
// and its listening sockets (one per event loop for gnet and workerman-go).
type serverInfo struct {
	CPUs      string `json:"cpus"`
	Threads   int    `json:"threads"`
	Listeners int    `json:"listeners"`
}

func (i serverInfo) String() string {
	if i.CPUs == "" {
		return "–"
	}
	return fmt.Sprintf("%s / %d / %d", i.CPUs, i.Threads, i.Listeners)
}

// inspectServer inspects a server, which must run on the server CPU when
// pinning.
func (h *harness) inspectServer(p *proc) (serverInfo, error) {
	return inspect(p, h.pin.serverCPU())
}

// inspect reads the affinity of every thread of p and of its descendants,
// and counts their listening sockets. With cpu >= 0, a thread allowed to
// run anywhere but on cpu is an error.
func inspect(p *proc, cpu int) (serverInfo, error) {
	var info serverInfo
	pids, err := procfs.Tree(p.pid())
	if err != nil {
		return info, fmt.Errorf("%s: reading its processes: %v", p.name, err)
	}
	lists := map[string]bool{}
	for _, pid := range pids {
		m, err := procfs.ThreadCPUsAllowed(pid)
		if err != nil {
			if pid == p.pid() {
				return info, fmt.Errorf("%s: reading its CPU affinity: %v", p.name, err)
			}
			continue
		}
		info.Threads += len(m)
		for _, v := range m {
			lists[v] = true
		}
	}
	info.CPUs = joinKeys(lists, " / ")
	info.Listeners, _ = procfs.TreeListeners(p.pid())
	if cpu >= 0 && info.CPUs != strconv.Itoa(cpu) {
		return info, fmt.Errorf("%s is not pinned to CPU %d: its threads may run on %s", p.name, cpu, info.CPUs)
	}
	return info, nil
}

// parseListening extracts host:port from "LISTENING <addr>", accepting an
// optional scheme ("tcp://127.0.0.1:1234").
func parseListening(line string) (string, error) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return "", fmt.Errorf("malformed line %q", line)
	}
	addr := f[1]
	if i := strings.Index(addr, "://"); i >= 0 {
		addr = addr[i+3:]
	}
	if strings.HasSuffix(addr, ":0") {
		return "", fmt.Errorf("server reported port 0 (%q): it must print the bound address", line)
	}
	return addr, nil
}

// listeningField returns the value of the field name=value of a LISTENING
// line ("LISTENING 127.0.0.1:1234 publish=127.0.0.1:1235"), or an error
// when it has none.
func listeningField(line, name string) (string, error) {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, name+"="); ok && v != "" {
			return v, nil
		}
	}
	return "", fmt.Errorf("no %s= in %q", name, line)
}

// cpuWindow measures a time window: the CPU time of a process tree and how
// busy every CPU of the machine was.
type cpuWindow struct {
	t0, t1      time.Time
	cpu0, cpu1  time.Duration // of the process tree
	busy0, tot0 []uint64      // per CPU, clock ticks
	busy1, tot1 []uint64
	err         error
}

// startCPUWindow opens a window on the process tree of pid.
func startCPUWindow(pid int) *cpuWindow {
	w := &cpuWindow{t0: time.Now()}
	w.cpu0, w.err = procfs.TreeCPU(pid)
	w.busy0, w.tot0, _ = procfs.CPUTicks()
	return w
}

// end closes the window.
func (w *cpuWindow) end(pid int) {
	cpu, err := procfs.TreeCPU(pid)
	if w.err == nil {
		w.cpu1, w.err = cpu, err
	}
	w.busy1, w.tot1, _ = procfs.CPUTicks()
	w.t1 = time.Now()
}

// seconds is the length of the window.
func (w *cpuWindow) seconds() float64 { return w.t1.Sub(w.t0).Seconds() }

// treeCPU is the CPU time of the process tree in the window, in seconds.
func (w *cpuWindow) treeCPU() (float64, error) {
	if w.err != nil {
		return 0, w.err
	}
	return (w.cpu1 - w.cpu0).Seconds(), nil
}

// machineBusyPct is how busy all CPUs of the machine were together in the
// window, in % of one core.
func (w *cpuWindow) machineBusyPct() float64 {
	var sum float64
	for _, v := range procfs.BusyPercent(w.busy0, w.tot0, w.busy1, w.tot1) {
		sum += v
	}
	return sum
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// machine describes where and in what conditions a run took place.
type machine struct {
	GoOS     string `json:"goos"`
	GoArch   string `json:"goarch"`
	CPUs     int    `json:"cpus"`
	Go       string `json:"go"`
	LoadAvg0 string `json:"loadavg_start"`
	LoadAvg1 string `json:"loadavg_end"`
}

func (h *harness) machine() machine {
	return machine{runtime.GOOS, runtime.GOARCH, numCPU(), runtime.Version(), h.load0, h.load1}
}

func (m machine) String() string {
	return fmt.Sprintf("%s/%s, %d CPUs, %s; load average (1/5/15 min) %s at start, %s at end",
		m.GoOS, m.GoArch, m.CPUs, m.Go, m.LoadAvg0, m.LoadAvg1)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func numCPU() int { return runtime.NumCPU() }

// median returns the median of v, false when v is empty.
func median(v []float64) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

// ratio formats v/base as "1.23×", or "–" when either side is missing
// (or NaN: not applicable).
func ratio(v, base float64, ok, baseOK bool) string {
	if !ok || !baseOK || base == 0 || math.IsNaN(v) || math.IsNaN(base) {
		return "–"
	}
	return fmt.Sprintf("%.2f×", v/base)
}

// noisyOther is the load of other processes during a measured window, in %
// of one core, beyond which a round is called noisy.
const noisyOther = 25

// saturated is the median CPU busy % of a load generator from which it is
// called saturated.
const saturated = 90

// noisyNote is the note about the rounds disturbed by other load on the
// machine, or "" when none was. others holds the other CPU % of every
// successful round; rounds names them ("echo rounds"), rate and cost the
// figures that suffer ("msg/s", "CPU µs/msg").
func noisyNote(others []float64, rounds, rate, cost string) string {
	noisy := 0
	for _, v := range others {
		if v > noisyOther {
			noisy++
		}
	}
	if noisy == 0 {
		return ""
	}
	return fmt.Sprintf("- %d of %d %s ran with more than %d %% of a core of other load on the machine (\"other CPU %%\" in the per-round table): their %s and, to a lesser degree, %s are disturbed.\n",
		noisy, len(others), rounds, noisyOther, rate, cost)
}

// saturatedNote is the note about the servers whose load generator (lg)
// was saturated, or "" when there is none.
func saturatedNote(servers []string, lg, rate, cost string) string {
	if len(servers) == 0 {
		return ""
	}
	return fmt.Sprintf("- %s was (nearly) saturated, median ≥ %d %% of its CPU, with %s: %s there is bounded by %s as much as by the server; server %s (and its ratio) is the server's own figure.\n",
		lg, saturated, strings.Join(servers, ", "), rate, strings.ToLower(lg[:1])+lg[1:], cost)
}

// abort ends a run interrupted by err: it reports what was measured, if
// anything, and returns err.
func (h *harness) abort(err error, measured bool, report func() error) error {
	h.load1 = loadAvg()
	if measured {
		logf("compare: interrupted (%v); partial results follow", err)
		if rerr := report(); rerr != nil {
			logf("compare: %v", rerr)
		}
	}
	return err
}

// results is what a run reports: the tables, notes and settings are
// printed on stdout; the results file has them all.
type results struct {
	kind     string // file name prefix: "echo", "http"
	title    string // of the file: "Echo benchmark"
	tables   string
	notes    string
	legend   string
	settings string
	perRound string
	raw      func() ([]byte, error) // the raw JSON
}

// report prints r and writes it to the results file out (see writeResults).
func (h *harness) report(out string, r results) error {
	fmt.Println()
	fmt.Print(r.tables)
	fmt.Println()
	if r.notes != "" {
		fmt.Print(r.notes)
		fmt.Println()
	}
	fmt.Print(r.settings)
	if out == "-" {
		return nil
	}
	raw, err := r.raw()
	if err != nil {
		return fmt.Errorf("encoding the results: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s, %s\n\n", r.title, h.started.UTC().Format("2006-01-02 15:04 UTC"))
	b.WriteString(r.tables)
	b.WriteString("\n")
	if r.notes != "" {
		b.WriteString(r.notes)
		b.WriteString("\n")
	}
	b.WriteString(r.legend)
	b.WriteString("\n## Settings\n\n")
	b.WriteString(r.settings)
	b.WriteString("\nCommand: `" + commandLine() + "`\n")
	b.WriteString("\n## Per round\n\n")
	b.WriteString(r.perRound)
	b.WriteString("\n## Raw results\n\n```json\n")
	b.Write(raw)
	b.WriteString("\n```\n")
	return h.writeResults(out, r.kind, b.String())
}

// seenSummary describes, per server, the CPUs and listeners that its rounds
// showed (infos: the serverInfo of every round, by server name).
func seenSummary(servers []serverSpec, infos map[string][]serverInfo) string {
	var parts []string
	for _, s := range servers {
		cpus, listeners := map[string]bool{}, map[int]bool{}
		for _, i := range infos[s.Name] {
			if i.CPUs != "" {
				cpus[i.CPUs] = true
				listeners[i.Listeners] = true
			}
		}
		if len(cpus) == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: CPUs %s, %s listener(s)", s.Name, joinKeys(cpus, " | "), joinInts(listeners)))
	}
	if len(parts) == 0 {
		return "no server seen yet"
	}
	return strings.Join(parts, "; ")
}

// pinSummary describes the pinning of the run and what was verified:
// seen is seenSummary's, lgCheck how the load generator's CPUs were checked
// and lgSeen what they were.
func (h *harness) pinSummary(seen, lgCheck, lgSeen string) string {
	if !h.pin.On {
		return h.pin.Note + "; servers and load generators share all CPUs"
	}
	env := ""
	if v := os.Getenv("GOMAXPROCS"); v != "" {
		env = fmt.Sprintf(" (warning: GOMAXPROCS=%s in the environment)", v)
	}
	lg := ""
	if lgSeen != "" {
		lg = "; load generator: " + lgSeen
	}
	return fmt.Sprintf("every server process on CPU %d, every load generator on CPU %d, set before exec so that Go sizes GOMAXPROCS (and gnet and workerman-go their default number of event loops) from the one CPU%s. "+
		"Checked every round from /proc/PID/task/*/status (Cpus_allowed_list of every server thread) and %s; "+
		"seen: %s%s",
		h.pin.Server, h.pin.Loadgen, env, lgCheck, seen, lg)
}

// joinKeys joins the keys of m, sorted, with sep.
func joinKeys(m map[string]bool, sep string) string {
	var k []string
	for v := range m {
		k = append(k, v)
	}
	sort.Strings(k)
	return strings.Join(k, sep)
}

func joinInts(m map[int]bool) string {
	var k []int
	for v := range m {
		k = append(k, v)
	}
	sort.Ints(k)
	var s []string
	for _, v := range k {
		s = append(s, fmt.Sprint(v))
	}
	return strings.Join(s, " | ")
}

// oneLine makes s fit in a Markdown table cell.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// commandLine is the command that ran the driver, for the results file.
func commandLine() string {
	args := make([]string, len(os.Args)-1)
	for i, a := range os.Args[1:] {
		if a == "" || strings.ContainsAny(a, " \t\"'$`\\|&;<>()*?[]#~") {
			a = strconv.Quote(a)
		}
		args[i] = a
	}
	return strings.TrimSpace("cd bench && go run ./cmd/compare " + strings.Join(args, " "))
}

// writeResults writes a results file: out when set ("-": none), else
// bench/results/<kind>-<date>.md (-2, -3... when it exists).
func (h *harness) writeResults(out, kind, content string) error {
	if out == "-" {
		return nil
	}
	path := out
	if path == "" {
		dir := filepath.Join(h.root, "results")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
		path = uniquePath(filepath.Join(dir, kind+"-"+h.started.Format("2006-01-02")), ".md")
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		return fmt.Errorf("writing the results: %w", err)
	}
	logf("compare: wrote %s", path)
	return nil
}

// uniquePath returns base+ext, or base-2+ext, base-3+ext... whichever does
// not exist yet.
func uniquePath(base, ext string) string {
	p := base + ext
	for i := 2; ; i++ {
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			return p
		}
		p = fmt.Sprintf("%s-%d%s", base, i, ext)
	}
}

// checkLoadgen verifies, when pinning, that the load generator ran on its
// CPU only, as it reports it.
func (h *harness) checkLoadgen(p *proc, res *loadgen.Result) error {
	if h.pin.On && res.CPUs != strconv.Itoa(h.pin.Loadgen) {
		return fmt.Errorf("%s is not pinned to CPU %d: it may run on %q", p.name, h.pin.Loadgen, res.CPUs)
	}
	return nil
}

func parseResult(p *proc) (*loadgen.Result, json.RawMessage, error) {
	line := p.json()
	if line == "" {
		return nil, nil, fmt.Errorf("%s printed no result (exit: %v)%s", p.name, p.exitErr(), p.diag())
	}
	var res loadgen.Result
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		return nil, nil, fmt.Errorf("%s: bad result line: %v", p.name, err)
	}
	return &res, json.RawMessage(line), nil
}

// runLoadgens starts one load generator per element of argv (on the load
// generator CPU), waits for all of them (each bounded by limit) and returns
// the results they printed, their raw JSON and the problems: a process
// that failed or printed nothing, a result that reports a problem, a load
// generator not pinned as it should be.
func (h *harness) runLoadgens(ctx context.Context, name string, argv [][]string, limit time.Duration) ([]*loadgen.Result, []json.RawMessage, []string) {
	var problems []string
	var lgs []*proc
	for i, args := range argv {
		p, err := startProc(h.reg, fmt.Sprintf("%s-%d", name, i), "", false, h.pin.loadgenCPU(), filepath.Join(h.bin, "loadgen"), args...)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		lgs = append(lgs, p)
	}
	var results []*loadgen.Result
	var raws []json.RawMessage
	for _, p := range lgs {
		if err := p.wait(ctx, limit); err != nil {
			problems = append(problems, err.Error())
			continue
		}
		res, raw, err := parseResult(p)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		raws = append(raws, raw)
		results = append(results, res)
		if !res.OK {
			problems = append(problems, fmt.Sprintf("%s: %s", p.name, res.Error))
		}
		if err := h.checkLoadgen(p, res); err != nil {
			problems = append(problems, err.Error())
		}
	}
	return results, raws, problems
}

// idleSpec describes an idle memory measurement: conns connections over
// procs load generators, each started with loadgenArgs(server address, its
// share) and expected to print "READY <n>" once its connections are up and
// to hold them until its stdin closes; the memory is read settle after the
// server has accepted them all.
//
// The first warm of the conns are opened before the baseline is read (by
// one more load generator) and held to the end, so that what a fresh
// process does once, for its first connections, is in the baseline: the
// pages of code and data that serving a connection touches for the first
// time, tables each event loop sets up. The figure is then what each
// further connection costs, for every server alike.
type idleSpec struct {
	serverArgs  []string // extra arguments of the server
	conns       int
	warm        int // of conns, opened before the baseline
	procs       int
	settle      time.Duration
	loadgenArgs func(addr string, n int) []string
}

// idleWarmConns is the warm-up of the idle tests: enough connections for
// every event loop of the servers to have served some.
const idleWarmConns = 10

// idleRecord is the outcome of one idle round of one server.
type idleRecord struct {
	Server       string            `json:"server"`
	Round        int               `json:"round"`
	OK           bool              `json:"ok"`
	Error        string            `json:"error,omitempty"`
	Conns        int               `json:"conns"` // measured, after the warm-up
	WarmConns    int               `json:"warm_conns,omitempty"`
	RSSBefore    int64             `json:"rss_before"`
	RSSAfter     int64             `json:"rss_after"`
	FDsBefore    int               `json:"fds_before"`
	FDsAfter     int               `json:"fds_after"`
	BytesPerConn float64           `json:"bytes_per_conn"`
	ServerInfo   serverInfo        `json:"server_info"`
	Loadgen      []json.RawMessage `json:"loadgen,omitempty"`
}

// measureIdle measures the resident memory a fresh server s needs for the
// idle connections of spec: RSS before (0.5 s after it started, and after
// the warm-up connections are up) and with all the connections (the median
// of three readings), summed over its process tree; the difference per
// connection opened after the baseline.
func (h *harness) measureIdle(ctx context.Context, s serverSpec, round int, spec idleSpec) (rec idleRecord) {
	rec = idleRecord{Server: s.Name, Round: round}
	srv, addr, err := h.startServer(ctx, s, spec.serverArgs...)
	if err != nil {
		rec.Error = err.Error()
		return rec
	}
	defer srv.stop(3 * time.Second)
	pid := srv.pid()

	// The generators hold until their stdin closes; -duration only bounds
	// the hold in case the driver vanished without closing it.
	hold := setupTimeout + spec.settle + 2*time.Minute
	var lgs []*proc
	defer func() {
		for _, p := range lgs {
			p.closeStdin()
		}
		for _, p := range lgs {
			_ = p.wait(context.Background(), 20*time.Second)
		}
	}()
	// open starts the generators of n connections over procs processes and
	// waits until they are up and the server holds them (bounded); it
	// returns how many are up.
	var problems []string
	open := func(name string, n, procs int) int {
		fdsBefore, _ := procfs.TreeFDs(pid)
		var started []*proc
		for i, share := range split(n, procs) {
			args := spec.loadgenArgs(addr, share)
			args = append(args, "-duration", hold.String(), "-setup-timeout", setupTimeout.String(), "-stdin-stop")
			p, err := startProc(h.reg, fmt.Sprintf("loadgen-%s-%d", name, i), "READY", true, h.pin.loadgenCPU(), filepath.Join(h.bin, "loadgen"), args...)
			if err != nil {
				problems = append(problems, err.Error())
				return 0
			}
			lgs = append(lgs, p)
			started = append(started, p)
		}
		up := 0
		for _, p := range started {
			line, err := p.waitMarker(ctx, setupTimeout+15*time.Second)
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			var k int
			fmt.Sscanf(line, "READY %d", &k)
			up += k
		}
		if up != n {
			problems = append(problems, fmt.Sprintf("%s: %d of %d connections established", name, up, n))
			return up
		}
		// The client side is up; wait (bounded) until the server has
		// accepted them all.
		deadline := time.Now().Add(15 * time.Second)
		for {
			fds, _ := procfs.TreeFDs(pid)
			if fds >= fdsBefore+n || time.Now().After(deadline) || ctx.Err() != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		return up
	}

	// Baseline, after a short settle (and the warm-up).
	if !sleepCtx(ctx, 500*time.Millisecond) {
		rec.Error = ctx.Err().Error()
		return rec
	}
	warm := min(spec.warm, spec.conns/10)
	if warm > 0 {
		rec.WarmConns = open("warm", warm, 1)
		if !sleepCtx(ctx, 500*time.Millisecond) {
			problems = append(problems, ctx.Err().Error())
		}
	}
	if len(problems) == 0 {
		if rec.RSSBefore, err = procfs.TreeRSS(pid); err != nil {
			problems = append(problems, fmt.Sprintf("reading server memory: %v", err))
		}
		rec.FDsBefore, _ = procfs.TreeFDs(pid)
	}
	if len(problems) == 0 {
		rec.Conns = open("idle", spec.conns-warm, spec.procs)
		if len(problems) == 0 && !sleepCtx(ctx, spec.settle) {
			problems = append(problems, ctx.Err().Error())
		}
	}
	if len(problems) == 0 {
		rec.FDsAfter, _ = procfs.TreeFDs(pid)
		// median of three samples
		var samples []int64
		for i := 0; i < 3; i++ {
			v, err := procfs.TreeRSS(pid)
			if err != nil {
				problems = append(problems, fmt.Sprintf("reading server memory: %v", err))
				break
			}
			samples = append(samples, v)
			time.Sleep(100 * time.Millisecond)
		}
		if len(samples) == 3 {
			sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
			rec.RSSAfter = samples[1]
		}
		if rec.FDsAfter < rec.FDsBefore+rec.Conns {
			problems = append(problems, fmt.Sprintf("server holds only %d descriptors more than before for %d connections", rec.FDsAfter-rec.FDsBefore, rec.Conns))
		}
		if info, err := h.inspectServer(srv); err != nil {
			problems = append(problems, err.Error())
		} else {
			rec.ServerInfo = info
		}
	}
	// Release the connections and collect the generators' reports.
	for _, p := range lgs {
		p.closeStdin()
	}
	for _, p := range lgs {
		if err := p.wait(ctx, 30*time.Second); err != nil {
			problems = append(problems, err.Error())
			continue
		}
		res, raw, err := parseResult(p)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		rec.Loadgen = append(rec.Loadgen, raw)
		if !res.OK {
			problems = append(problems, fmt.Sprintf("%s: %s", p.name, res.Error))
		}
		if err := h.checkLoadgen(p, res); err != nil {
			problems = append(problems, err.Error())
		}
	}
	lgs = nil
	if srv.exited() {
		problems = append(problems, fmt.Sprintf("server exited during the test: %v%s", srv.exitErr(), srv.diag()))
	}
	if rec.Conns > 0 && rec.RSSAfter > 0 {
		rec.BytesPerConn = float64(rec.RSSAfter-rec.RSSBefore) / float64(rec.Conns)
	}
	rec.OK = len(problems) == 0
	rec.Error = strings.Join(problems, "; ")
	return rec
}

// idleTable is the per-round table of idle measurements; unit names a
// connection ("conn", "stream").
func idleTable(recs []idleRecord, unit string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| round | server | %ss | RSS before MiB | RSS after MiB | KiB/%s | server fds before → after | server CPUs / threads / listeners | status |\n|---:|---|---:|---:|---:|---:|---|---|---|\n", unit, unit)
	for _, r := range recs {
		status := "ok"
		if !r.OK {
			status = "FAILED: " + oneLine(r.Error)
		}
		fmt.Fprintf(&b, "| %d | %s | %d | %.1f | %.1f | %.2f | %d → %d | %s | %s |\n",
			r.Round, r.Server, r.Conns, mib(r.RSSBefore), mib(r.RSSAfter), r.BytesPerConn/1024, r.FDsBefore, r.FDsAfter, r.ServerInfo.String(), status)
	}
	return b.String()
}

// stripHists drops the latency histograms from load generator result lines,
// to keep the raw JSON of a results file readable.
func stripHists(raws []json.RawMessage) []json.RawMessage {
	out := make([]json.RawMessage, 0, len(raws))
	for _, r := range raws {
		var m map[string]any
		if json.Unmarshal(r, &m) != nil {
			out = append(out, r)
			continue
		}
		delete(m, "latency")
		delete(m, "burst_latency")
		b, err := json.Marshal(m)
		if err != nil {
			out = append(out, r)
			continue
		}
		out = append(out, b)
	}
	return out
}

// selectByName returns the items of all that the comma-separated list
// names (as selectServers reads it), in its order; spec gives an item's
// name and label.
func selectByName[T any](list string, all []T, spec func(T) serverSpec) ([]T, error) {
	specs := make([]serverSpec, len(all))
	for i, s := range all {
		specs[i] = spec(s)
	}
	sel, err := selectServers(list, specs)
	if err != nil {
		return nil, err
	}
	var out []T
	for _, s := range sel {
		for i, sp := range specs {
			if sp.Name == s.Name {
				out = append(out, all[i])
			}
		}
	}
	return out, nil
}
