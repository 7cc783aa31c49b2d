package main

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
)

// chartSpec describes one chart: its file (bench-<name>.svg), its title and
// unit, and the measurements it shows, in panels of one scale each.
type chartSpec struct {
	name   string // bench-<name>.svg
	title  string // with the unit
	better string // "lower is better" or "higher is better"
	note   string // a caveat under the title, "" for none
	panels []panelSpec
}

// panelSpec is a set of groups drawn to one scale.
type panelSpec struct {
	title  string // "" for the only panel of a chart
	groups []groupSpec
}

// groupSpec is one measurement of one kind of results file: a bar per
// server of that file.
type groupSpec struct {
	label    string  // "{n}" is replaced by the first number of the measurement's name after prefix
	kind     string  // results file kind: sse, ws, http...
	prefix   string  // the measurement's name in the figures table starts with this
	scale    float64 // the file's unit × scale = the chart's unit (0 means 1)
	optional bool    // no file of that kind: the group is left out (with a note)
}

// charts are the charts the program draws. Names of measurements are
// those compare writes (bench/cmd/compare/*report.go).
var charts = []chartSpec{
	{
		name: "memory", title: "Memory per idle connection, KiB of server RSS", better: "lower is better",
		panels: []panelSpec{{groups: []groupSpec{
			{label: "SSE stream, {n} idle streams with a heartbeat", kind: "sse", prefix: "idle: KiB per stream"},
			{label: "SSE stream over TLS, {n} idle streams", kind: "tls", prefix: "idle TLS event streams: KiB per stream", optional: true},
			{label: "SSE stream over HTTP/2 (TLS), {n} idle streams on 100 connections", kind: "h2", prefix: "idle: KiB per stream", optional: true},
			{label: "TLS connection, {n} idle after one request", kind: "tls", prefix: "idle TLS connections: KiB per connection", optional: true},
			{label: "WebSocket connection, {n} idle", kind: "ws", prefix: "idle: KiB per connection"},
			{label: "TCP connection (echo server), idle", kind: "echo", prefix: "idle KiB/conn"},
		}}},
	},
	{
		name: "cpu", title: "Server CPU time per operation, µs", better: "lower is better",
		panels: []panelSpec{
			{title: "Per request, message or event", groups: []groupSpec{
				{label: "HTTP hello, per request (keep-alive)", kind: "http", prefix: "server CPU µs/request"},
				{label: "HTTP hello over TLS, per request (keep-alive)", kind: "tls", prefix: "server CPU µs per request", optional: true},
				{label: "TCP echo, per message", kind: "echo", prefix: "server CPU µs/msg"},
				{label: "WebSocket echo, per message", kind: "ws", prefix: "echo: server CPU µs per message"},
				{label: "SSE, per event (every stream 1 event/s from its timer)", kind: "sse", prefix: "tick: server CPU µs per event"},
				{label: "SSE over HTTP/2, per event (10,000 streams on 100 connections)", kind: "h2", prefix: "tick: server CPU µs per event", optional: true},
				{label: "HTTP/2 hello over TLS, per request (h2load)", kind: "h2", prefix: "hello over TLS: server CPU µs per request", optional: true},
				{label: "SSE fan-out to 10,000 subscribers, per delivered event", kind: "sse", prefix: "fan-out to 10,000: server CPU µs per delivered event"},
				{label: "WebSocket broadcast to 10,000 clients, per delivered message", kind: "ws", prefix: "broadcast to 10,000: server CPU µs per delivered message"},
			}},
			{title: "Per new TLS connection (full handshake and one request)", groups: []groupSpec{
				{label: "TLS handshake", kind: "tls", prefix: "server CPU µs per handshake", optional: true},
			}},
		},
	},
	{
		name: "http-rps", title: "HTTP “Hello, World!”, requests per second (wrk, 100 connections)", better: "higher is better",
		note: "Where wrk used all of its CPU, requests/s is wrk's limit as much as the server's: bench-cpu.svg has the servers' own cost.",
		panels: []panelSpec{{groups: []groupSpec{
			{label: "HTTP/1.1 keep-alive", kind: "http", prefix: "requests/s"},
			{label: "HTTP/1.1 keep-alive over TLS", kind: "tls", prefix: "keep-alive requests/s over TLS", optional: true},
			{label: "HTTP/2 over TLS (h2load: 100 connections × 10 streams)", kind: "h2", prefix: "hello over TLS: requests/s", optional: true},
		}}},
	},
	{
		name: "fanout-latency", title: "Fan-out latency, publish to receipt, ms", better: "lower is better",
		panels: []panelSpec{
			{title: "1,000 subscribers", groups: []groupSpec{
				{label: "SSE, p50", kind: "sse", prefix: "fan-out to 1,000: latency p50", scale: 1e-3},
				{label: "SSE, p99", kind: "sse", prefix: "fan-out to 1,000: latency p99", scale: 1e-3},
				{label: "WebSocket, p50", kind: "ws", prefix: "broadcast to 1,000: latency p50", scale: 1e-3},
				{label: "WebSocket, p99", kind: "ws", prefix: "broadcast to 1,000: latency p99", scale: 1e-3},
			}},
			{title: "10,000 subscribers", groups: []groupSpec{
				{label: "SSE, p50", kind: "sse", prefix: "fan-out to 10,000: latency p50", scale: 1e-3},
				{label: "SSE, p99", kind: "sse", prefix: "fan-out to 10,000: latency p99", scale: 1e-3},
				{label: "WebSocket, p50", kind: "ws", prefix: "broadcast to 10,000: latency p50", scale: 1e-3},
				{label: "WebSocket, p99", kind: "ws", prefix: "broadcast to 10,000: latency p99", scale: 1e-3},
			}},
		},
	},
}

// chart is a chart with its figures, ready to draw.
type chart struct {
	spec    chartSpec
	panels  []panel
	sources []string // the results files, as named in the caption
}

type panel struct {
	title  string
	groups []group
}

// group is one measurement: a bar per server.
type group struct {
	label  string
	source string // results file name
	bars   []bar
}

// bar is one server's figure in a group.
type bar struct {
	server string // the label of the server in the results file
	class  serverClass
	value  float64 // in the chart's unit
	state  cellState
	line   int // the line of the results file it comes from

	decimals int // shown after the decimal point: as in the file, or chosen for a scaled value
}

// source gives the figures of a kind of results file.
type source interface {
	figures(kind string) (*figures, error)
}

// errNoResults is wrapped when there is no results file of a kind.
var errNoResults = errors.New("no results file")

// buildChart reads the figures of spec from src. Groups marked optional
// whose kind has no results file are left out and reported in skipped.
func buildChart(spec chartSpec, src source) (c *chart, skipped []string, err error) {
	c = &chart{spec: spec}
	seen := map[string]bool{}
	var errs []error
	for _, ps := range spec.panels {
		p := panel{title: ps.title}
		for _, gs := range ps.groups {
			g, err := buildGroup(gs, src)
			if err != nil {
				if gs.optional && errors.Is(err, errNoResults) {
					skipped = append(skipped, fmt.Sprintf("bench-%s.svg: left out %q: %v", spec.name, gs.label, err))
					continue
				}
				errs = append(errs, fmt.Errorf("bench-%s.svg, %q: %w", spec.name, gs.label, err))
				continue
			}
			if !seen[g.source] {
				seen[g.source] = true
				c.sources = append(c.sources, g.source)
			}
			p.groups = append(p.groups, *g)
		}
		if len(p.groups) > 0 {
			c.panels = append(c.panels, p)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	if len(c.panels) == 0 {
		return nil, nil, fmt.Errorf("bench-%s.svg: no figures at all", spec.name)
	}
	return c, skipped, nil
}

var firstNumber = regexp.MustCompile(`[0-9][0-9,]*[0-9]|[0-9]`)

func buildGroup(gs groupSpec, src source) (*group, error) {
	f, err := src.figures(gs.kind)
	if err != nil {
		return nil, err
	}
	m, err := f.find(gs.prefix)
	if err != nil {
		return nil, err
	}
	g := &group{label: gs.label, source: f.base()}
	if strings.Contains(g.label, "{n}") {
		n := firstNumber.FindString(m.name[len(gs.prefix):])
		if n == "" {
			return nil, fmt.Errorf("%s:%d: measurement %q has no number for the label %q", f.path, m.cells[0].line, m.name, gs.label)
		}
		g.label = strings.ReplaceAll(g.label, "{n}", n)
	}
	scale := gs.scale
	if scale == 0 {
		scale = 1
	}
	for i, server := range f.servers {
		v, err := f.value(m, i)
		if err != nil {
			return nil, err
		}
		b := bar{server: server, class: classify(server), value: v.value * scale, state: v.state, line: m.cells[i].line, decimals: v.decimals}
		if scale != 1 {
			b.decimals = 1
			if math.Abs(b.value) >= 100 {
				b.decimals = 0
			}
		}
		g.bars = append(g.bars, b)
	}
	orderBars(g.bars)
	return g, nil
}

// serverClass is the kind of server a column of a results file is: ours,
// or one of the anchors. Each has its colour on every chart.
type serverClass int

const (
	classOurs      serverClass = iota // workerman-go
	classStd                          // net, net/http: a goroutine per connection
	classGnet                         // the gnet v2 minimal servers (the engine's ceiling)
	classGorilla                      // gorilla/websocket
	classWorkerman                    // Workerman (PHP)
	classOther                        // any other server a results table has
)

// classify tells the class of a server from its label in a results table.
func classify(label string) serverClass {
	l := strings.ToLower(label)
	switch {
	case strings.Contains(l, "workerman-go") || strings.Contains(l, "workerman go") || l == "wm":
		return classOurs
	case strings.Contains(l, "workerman"):
		return classWorkerman
	case strings.HasPrefix(l, "gnet"):
		return classGnet
	case strings.Contains(l, "gorilla"):
		return classGorilla
	case l == "net" || strings.HasPrefix(l, "net ") || strings.HasPrefix(l, "net/http"):
		return classStd
	}
	return classOther
}

// shortName is the name written beside a server's bar.
func shortName(label string, c serverClass) string {
	switch c {
	case classOurs:
		return "workerman-go"
	case classStd:
		if strings.HasPrefix(strings.ToLower(label), "net/http") {
			return "net/http"
		}
		return "net"
	case classGnet:
		return "gnet"
	case classGorilla:
		return "gorilla"
	case classWorkerman:
		return "Workerman"
	}
	s := label
	if i := strings.Index(s, " ("); i > 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > 20 {
		s = string(r[:19]) + "…"
	}
	return s
}

// orderBars puts ours first, then the anchors in a fixed order, the other
// servers last in the table's order (a stable sort by class).
func orderBars(bars []bar) {
	for i := 1; i < len(bars); i++ {
		for j := i; j > 0 && bars[j].class < bars[j-1].class; j-- {
			bars[j], bars[j-1] = bars[j-1], bars[j]
		}
	}
}
