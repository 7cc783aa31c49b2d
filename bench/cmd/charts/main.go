// Command charts draws the benchmark charts of the README, as SVG files,
// from the results files that bench/cmd/compare writes to bench/results/.
//
// Usage (from bench/, as `make charts` runs it):
//
//	go run ./cmd/charts                       # bench/results → docs/img/bench-*.svg
//	go run ./cmd/charts -out /tmp/charts      # somewhere else
//	go run ./cmd/charts -use sse=sse-2026-12-01-2.md -use ws=ws-2026-12-01.md
//
// Flags:
//
//	-results DIR   the results files (default: results/ of the bench module,
//	               found from the working directory upwards)
//	-out DIR       where the charts go (default: docs/img/ of the repository,
//	               the bench module's parent)
//	-use KIND=FILE draw KIND's figures from FILE (a name in -results or a
//	               path) rather than from the newest file of that kind;
//	               repeatable
//
// It writes four charts, each a horizontal grouped bar chart (a group per
// measurement, a bar per server of the results table, ours always orange,
// each anchor its own colour, the figure at the end of each bar):
//
//	bench-memory.svg          KiB of RSS per idle SSE stream, TLS event stream,
//	                          TLS connection, WebSocket connection, TCP connection
//	bench-cpu.svg             server CPU µs per request, message or event (and per
//	                          TLS handshake, on a panel of its own)
//	bench-http-rps.svg        HTTP hello requests/s, plain and over TLS
//	bench-fanout-latency.svg  SSE and WebSocket fan-out latency p50/p99 in ms, to
//	                          1,000 and 10,000 subscribers
//
// Which file: compare names its results <kind>-<YYYY-MM-DD>.md and, for the
// later runs of the same day, <kind>-<YYYY-MM-DD>-2.md, -3.md and so on
// (kind is echo, http, sse, ws, tls, fanout, sse100k...). For each kind the
// charts use the newest file: the latest date in the name, and on the same
// date the largest -N (no suffix counts as 1). Other files (README.md,
// metrics-cost-*.md...) are read only if a chart uses their kind. A new run
// of compare is therefore picked up by running charts again. Every chart
// names its files in its caption and every bar's tooltip gives the line of
// its figure.
//
// From each file it reads the first table whose first header cell is
// "measurement" (a row per measurement, a column per server: sse, ws, tls)
// or "server" (a row per server, a column per measurement: echo, http);
// columns of ratios ("÷", "vs net", cells in "×") are not servers. Figures
// may have thousands separators, a unit and a note in parentheses; "failed"
// and "–" are drawn as such. A missing results file of a kind a chart
// needs, a missing measurement (a partial run: choose another file with
// -use) or a figure that is not a number is an error that names the file
// and line, and no chart is written; the TLS groups are optional and left
// out, with a note, when there is no tls results file.
//
// It is not a plotting library: the charts, their measurements and their
// layout are fixed here (charts.go), to match what compare writes. The
// output depends only on the results files, so unchanged results give
// byte-identical SVGs.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// benchModule is the module path of the harness, to find its root.
const benchModule = "github.com/workerman-go/workerman/bench"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "charts:", err)
		}
		os.Exit(2)
	}
}

// run is the program: it parses args, reads the results, writes the charts
// and says what it wrote on stdout (notes on stderr).
func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("charts", flag.ContinueOnError)
	fs.SetOutput(stderr)
	resultsDir := fs.String("results", "", "results directory (default: results/ of the bench module found from the working directory)")
	outDir := fs.String("out", "", "output directory (default: docs/img/ of the repository, the bench module's parent)")
	use := map[string]string{}
	fs.Func("use", "KIND=FILE: take KIND's figures from FILE (in -results, or a path) instead of the newest file; repeatable", func(s string) error {
		kind, file, ok := strings.Cut(s, "=")
		if !ok || kind == "" || file == "" {
			return fmt.Errorf("want KIND=FILE, got %q", s)
		}
		use[kind] = file
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (flags only; -h for help)", fs.Args())
	}
	if *resultsDir == "" || *outDir == "" {
		root, err := findBenchRoot()
		if err != nil {
			return err
		}
		if *resultsDir == "" {
			*resultsDir = filepath.Join(root, "results")
		}
		if *outDir == "" {
			*outDir = filepath.Join(filepath.Dir(root), "docs", "img")
		}
	}

	src, err := newResultsSource(*resultsDir, use)
	if err != nil {
		return err
	}
	type output struct {
		path    string
		data    []byte
		sources []string
	}
	var outs []output
	var errs []error
	for _, spec := range charts {
		c, skipped, err := buildChart(spec, src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, s := range skipped {
			fmt.Fprintln(stderr, "charts: note:", s)
		}
		outs = append(outs, output{filepath.Join(*outDir, "bench-"+spec.name+".svg"), renderSVG(c), c.sources})
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("no chart written:\n%w", err)
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return fmt.Errorf("creating the output directory: %w", err)
	}
	for _, o := range outs {
		if err := writeFile(o.path, o.data); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (%d bytes) from %s\n", o.path, len(o.data), strings.Join(o.sources, ", "))
	}
	return nil
}

// writeFile replaces path with data, through a temporary file in the same
// directory so that a reader never sees half a chart.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".bench-*.svg.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// findBenchRoot finds the bench module's directory: the working directory
// or one of its parents whose go.mod declares benchModule, or bench/ under
// one of them (run from the repository's root).
func findBenchRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the bench module: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		for _, cand := range []string{dir, filepath.Join(dir, "bench")} {
			if modulePath(filepath.Join(cand, "go.mod")) == benchModule {
				return cand, nil
			}
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	return "", fmt.Errorf("no go.mod of %s in %s or above: run from bench/ (cd bench && go run ./cmd/charts) or give -results and -out", benchModule, wd)
}

// modulePath returns the module path declared by the go.mod at path, or
// "" when there is none.
func modulePath(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// resultsSource gives the figures of the file chosen for each kind, each
// file read once.
type resultsSource struct {
	dir   string
	files map[string]string // kind → path
	read  map[string]*figures
}

// newResultsSource chooses the file of every kind in dir: the newest, or
// the one use names.
func newResultsSource(dir string, use map[string]string) (*resultsSource, error) {
	newest, err := newestResults(dir)
	if err != nil {
		return nil, err
	}
	s := &resultsSource{dir: dir, files: map[string]string{}, read: map[string]*figures{}}
	for kind, r := range newest {
		s.files[kind] = r.path
	}
	used := map[string]bool{}
	for _, c := range charts {
		for _, p := range c.panels {
			for _, g := range p.groups {
				used[g.kind] = true
			}
		}
	}
	var kinds []string
	for kind := range use {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		if !used[kind] {
			return nil, fmt.Errorf("-use %s=...: no chart uses results of kind %q", kind, kind)
		}
		file := use[kind]
		if !strings.ContainsRune(file, filepath.Separator) && !strings.ContainsRune(file, '/') {
			file = filepath.Join(dir, file)
		}
		if _, err := os.Stat(file); err != nil {
			return nil, fmt.Errorf("-use %s=%s: %w", kind, use[kind], err)
		}
		s.files[kind] = file
	}
	return s, nil
}

func (s *resultsSource) figures(kind string) (*figures, error) {
	if f, ok := s.read[kind]; ok {
		return f, nil
	}
	path, ok := s.files[kind]
	if !ok {
		return nil, fmt.Errorf("%w of kind %s (%s-<YYYY-MM-DD>.md) in %s: run `go run ./cmd/compare %s` in bench/", errNoResults, kind, kind, s.dir, kind)
	}
	f, err := readFigures(path)
	if err != nil {
		return nil, err
	}
	s.read[kind] = f
	return f, nil
}
