package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// copyResults copies the testdata results files into a new directory.
func copyResults(t *testing.T, skip ...string) string {
	t.Helper()
	dir := t.TempDir()
	paths, err := filepath.Glob("testdata/results/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if slices.Contains(skip, filepath.Base(p)) {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// svgDoc is what a test reads of a chart: it must parse as XML.
type svgDoc struct {
	root  xml.StartElement
	bars  []string // the tooltips of the bars: "server: value (file, line n)"
	texts []string // every text element's text
	bg    string   // fill of the first rect
}

func readSVG(t *testing.T, path string) svgDoc {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc svgDoc
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []string
	var text strings.Builder
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", path, err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				doc.root = el
			}
			if el.Name.Local == "rect" && doc.bg == "" {
				for _, a := range el.Attr {
					if a.Name.Local == "fill" {
						doc.bg = a.Value
					}
				}
			}
			if el.Name.Local == "text" {
				text.Reset()
			}
			stack = append(stack, el.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			if el.Name.Local == "text" {
				doc.texts = append(doc.texts, text.String())
			}
		case xml.CharData:
			n := len(stack)
			switch {
			case n >= 2 && stack[n-1] == "title" && stack[n-2] == "rect":
				doc.bars = append(doc.bars, string(el))
			case slices.Contains(stack, "text") && stack[n-1] != "title":
				text.Write(el)
			}
		}
	}
	if len(stack) != 0 {
		t.Fatalf("%s: unclosed elements %v", path, stack)
	}
	return doc
}

func TestEndToEnd(t *testing.T) {
	results := copyResults(t)
	out := filepath.Join(t.TempDir(), "img") // created by the program
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-results", results, "-out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr: %s", stderr.String())
	}

	cases := []struct {
		name    string
		title   string
		sources []string
		bars    []string // tooltips of every bar, in order
	}{
		{
			name: "memory", title: "Memory per idle connection, KiB of server RSS",
			sources: []string{"sse-2026-12-01-5.md", "tls-2026-12-02.md", "ws-2026-12-01-4.md", "echo-2026-12-01.md"},
			bars: []string{
				"workerman-go: 1.53 (sse-2026-12-01-5.md, line 5)",
				"net/http (goroutine per stream): 24.49 (sse-2026-12-01-5.md, line 5)",
				"workerman-go TLS: 15.39 (tls-2026-12-02.md, line 20)",
				"net/http TLS (HTTP/1.1): 47.89 (tls-2026-12-02.md, line 20)",
				"workerman-go HTTP/2: 1.85 (h2-2026-12-02-3.md, line 5)",
				"net/http HTTP/2: 9.59 (h2-2026-12-02-3.md, line 5)",
				"workerman-go TLS: 15.51 (tls-2026-12-02.md, line 19)",
				"net/http TLS (HTTP/1.1): 39.01 (tls-2026-12-02.md, line 19)",
				"workerman-go: 1.52 (ws-2026-12-01-4.md, line 23)",
				"gorilla/websocket (goroutine per conn): 8.61 (ws-2026-12-01-4.md, line 23)",
				"workerman-go: 0.78 (echo-2026-12-01.md, line 7)",
				"net (goroutine per conn): 3.63 (echo-2026-12-01.md, line 5)",
				"gnet v2 (engine ceiling): 0.50 (echo-2026-12-01.md, line 6)",
			},
		},
		{
			name: "http-rps", title: "HTTP “Hello, World!”, requests per second (wrk, 100 connections)",
			sources: []string{"http-2026-12-01.md", "tls-2026-12-02.md"},
			bars: []string{
				"workerman-go http: 130,070 (http-2026-12-01.md, line 7)",
				"net/http (baseline): 83,834 (http-2026-12-01.md, line 5)",
				"gnet v2 minimal responder (engine ceiling): 128,704 (http-2026-12-01.md, line 6)",
				"workerman-go TLS: 31,438 (tls-2026-12-02.md, line 5)",
				"net/http TLS (HTTP/1.1): 32,073 (tls-2026-12-02.md, line 5)",
				"workerman-go HTTP/2: 134,215 (h2-2026-12-02-3.md, line 17)",
				"net/http HTTP/2: 43,006 (h2-2026-12-02-3.md, line 17)",
			},
		},
		{
			name: "fanout-latency", title: "Fan-out latency, publish to receipt, ms",
			sources: []string{"sse-2026-12-01-5.md", "ws-2026-12-01-4.md"},
			bars: []string{
				"workerman-go: 4.3 (sse-2026-12-01-5.md, line 13)", "net/http (goroutine per stream): 8.0 (sse-2026-12-01-5.md, line 13)",
				"workerman-go: 11.8 (sse-2026-12-01-5.md, line 14)", "net/http (goroutine per stream): 15.5 (sse-2026-12-01-5.md, line 14)",
				"workerman-go: 5.1 (ws-2026-12-01-4.md, line 24)", "gorilla/websocket (goroutine per conn): 6.9 (ws-2026-12-01-4.md, line 24)",
				"workerman-go: 11.3 (ws-2026-12-01-4.md, line 25)", "gorilla/websocket (goroutine per conn): 14.4 (ws-2026-12-01-4.md, line 25)",
				"workerman-go: 45.1 (sse-2026-12-01-5.md, line 19)", "net/http (goroutine per stream): 81.8 (sse-2026-12-01-5.md, line 19)",
				"workerman-go: 103 (sse-2026-12-01-5.md, line 20)", "net/http (goroutine per stream): 155 (sse-2026-12-01-5.md, line 20)",
				"workerman-go: 47.2 (ws-2026-12-01-4.md, line 30)", "gorilla/websocket (goroutine per conn): 69.2 (ws-2026-12-01-4.md, line 30)",
				"workerman-go: 107 (ws-2026-12-01-4.md, line 31)", "gorilla/websocket (goroutine per conn): 155 (ws-2026-12-01-4.md, line 31)",
			},
		},
		{
			name: "cpu", title: "Server CPU time per operation, µs",
			sources: []string{"http-2026-12-01.md", "tls-2026-12-02.md", "echo-2026-12-01.md", "ws-2026-12-01-4.md", "sse-2026-12-01-5.md"},
			bars: []string{
				"workerman-go http: 6.58 (http-2026-12-01.md, line 7)",
				"net/http (baseline): 11.88 (http-2026-12-01.md, line 5)",
				"gnet v2 minimal responder (engine ceiling): 5.81 (http-2026-12-01.md, line 6)",
				"workerman-go TLS: 16.40 (tls-2026-12-02.md, line 8)",
				"net/http TLS (HTTP/1.1): 25.08 (tls-2026-12-02.md, line 8)",
				"workerman-go: 1.82 (echo-2026-12-01.md, line 7)",
				"net (goroutine per conn): 2.07 (echo-2026-12-01.md, line 5)",
				"gnet v2 (engine ceiling): 1.87 (echo-2026-12-01.md, line 6)",
				"workerman-go: 12.32 (ws-2026-12-01-4.md, line 16)",
				"gorilla/websocket (goroutine per conn): 16.41 (ws-2026-12-01-4.md, line 16)",
				"workerman-go: 10.10 (sse-2026-12-01-5.md, line 9)",
				"net/http (goroutine per stream): 13.40 (sse-2026-12-01-5.md, line 9)",
				"workerman-go HTTP/2: 2.79 (h2-2026-12-02-3.md, line 10)",
				"net/http HTTP/2: 11.70 (h2-2026-12-02-3.md, line 10)",
				"workerman-go HTTP/2: 7.44 (h2-2026-12-02-3.md, line 19)",
				"net/http HTTP/2: 23.25 (h2-2026-12-02-3.md, line 19)",
				"workerman-go: 5.56 (sse-2026-12-01-5.md, line 23)",
				"net/http (goroutine per stream): 9.84 (sse-2026-12-01-5.md, line 23)",
				"workerman-go: 5.54 (ws-2026-12-01-4.md, line 34)",
				"gorilla/websocket (goroutine per conn): 10.24 (ws-2026-12-01-4.md, line 34)",
				"workerman-go TLS: 491.4 (tls-2026-12-02.md, line 14)",
				"net/http TLS (HTTP/1.1): 552.0 (tls-2026-12-02.md, line 14)",
			},
		},
	}
	for _, c := range cases {
		path := filepath.Join(out, "bench-"+c.name+".svg")
		doc := readSVG(t, path)
		if doc.root.Name.Local != "svg" || doc.root.Name.Space != "http://www.w3.org/2000/svg" {
			t.Errorf("%s: root element %v", path, doc.root.Name)
		}
		if doc.bg != "#ffffff" {
			t.Errorf("%s: background %q, want white", path, doc.bg)
		}
		if !slices.Equal(doc.bars, c.bars) {
			t.Errorf("%s: bars\n%s\nwant\n%s", path, strings.Join(doc.bars, "\n"), strings.Join(c.bars, "\n"))
		}
		all := strings.Join(doc.texts, "\n")
		if !slices.Contains(doc.texts, c.title) {
			t.Errorf("%s: no title %q in\n%s", path, c.title, all)
		}
		// The caption names every source file; each value is written at its bar.
		for _, s := range c.sources {
			if !strings.Contains(strings.ReplaceAll(all, "\n", " "), "bench/results/"+s) {
				t.Errorf("%s: the caption does not name %s:\n%s", path, s, all)
			}
		}
		for _, b := range c.bars {
			v := b[strings.LastIndex(b, ": ")+2 : strings.LastIndex(b, " (")]
			if !slices.Contains(doc.texts, v) {
				t.Errorf("%s: no text %q at a bar", path, v)
			}
		}
		if !strings.Contains(stdout.String(), path) {
			t.Errorf("stdout does not say %s was written: %s", path, stdout.String())
		}
	}

	// Unchanged results give the same bytes.
	first, _ := os.ReadFile(filepath.Join(out, "bench-cpu.svg"))
	if err := run([]string{"-results", results, "-out", out}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(filepath.Join(out, "bench-cpu.svg"))
	if !bytes.Equal(first, again) {
		t.Error("a second run changed bench-cpu.svg")
	}
}

// TestNewRunIsPickedUp: a later results file of a kind replaces the older
// one on the next run.
func TestNewRunIsPickedUp(t *testing.T) {
	results := copyResults(t)
	out := t.TempDir()
	data, err := os.ReadFile(filepath.Join(results, "sse-2026-12-01-5.md"))
	if err != nil {
		t.Fatal(err)
	}
	newer := strings.Replace(string(data), "| 24.49 | 1.53 |", "| 25,000.5 | **1.25** |", 1)
	if newer == string(data) {
		t.Fatal("the idle row was not found to change")
	}
	if err := os.WriteFile(filepath.Join(results, "sse-2026-12-01-6.md"), []byte(newer), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-results", results, "-out", out}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	doc := readSVG(t, filepath.Join(out, "bench-memory.svg"))
	for _, want := range []string{"workerman-go: 1.25 (sse-2026-12-01-6.md, line 5)", "net/http (goroutine per stream): 25,000.5 (sse-2026-12-01-6.md, line 5)"} {
		if !slices.Contains(doc.bars, want) {
			t.Errorf("no bar %q in %q", want, doc.bars)
		}
	}

	// -use takes an older file back.
	if err := run([]string{"-results", results, "-out", out, "-use", "sse=sse-2026-12-01-5.md"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	doc = readSVG(t, filepath.Join(out, "bench-memory.svg"))
	if !slices.Contains(doc.bars, "workerman-go: 1.53 (sse-2026-12-01-5.md, line 5)") {
		t.Errorf("-use: bars %q", doc.bars)
	}
}

func TestOptionalTLSAndHTTP2(t *testing.T) {
	results := copyResults(t, "tls-2026-12-02.md", "h2-2026-12-02-3.md")
	out := t.TempDir()
	var stderr bytes.Buffer
	if err := run([]string{"-results", results, "-out", out}, io.Discard, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), `left out "SSE stream over TLS, {n} idle streams": no results file of kind tls`) {
		t.Errorf("no note about the missing TLS results: %s", stderr.String())
	}
	if !strings.Contains(stderr.String(), `left out "HTTP/2 hello over TLS, per request (h2load)": no results file of kind h2`) {
		t.Errorf("no note about the missing HTTP/2 results: %s", stderr.String())
	}
	doc := readSVG(t, filepath.Join(out, "bench-cpu.svg"))
	if len(doc.bars) != 14 || slices.Contains(doc.texts, "Per new TLS connection (full handshake and one request)") {
		t.Errorf("without TLS results: %d bars, texts %q", len(doc.bars), doc.texts)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name   string
		skip   []string
		change func(t *testing.T, dir string)
		args   []string
		want   []string
	}{
		{
			name: "no ws results", skip: []string{"ws-2026-12-01-4.md"},
			want: []string{"no chart written", `bench-memory.svg, "WebSocket connection, {n} idle": no results file of kind ws`, "go run ./cmd/compare ws"},
		},
		{
			name: "a figure that is not a number",
			change: func(t *testing.T, dir string) {
				replaceIn(t, filepath.Join(dir, "http-2026-12-01.md"), "| 130070 |", "| 130k7 |")
			},
			want: []string{`http-2026-12-01.md:7: measurement "requests/s", server "workerman-go http": not a number: "130k7"`},
		},
		{
			name: "a partial run is the newest",
			change: func(t *testing.T, dir string) {
				data, err := os.ReadFile(filepath.Join(dir, "sse-2026-12-01-3.md"))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "sse-2026-12-02.md"), data, 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{`sse-2026-12-02.md:3: no measurement "tick: server CPU µs per event"`, "-use"},
		},
		{
			name: "no figures table",
			change: func(t *testing.T, dir string) {
				if err := os.WriteFile(filepath.Join(dir, "echo-2026-12-09.md"), []byte("# Echo\n\nnothing\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"echo-2026-12-09.md: no figures table"},
		},
		{name: "-use of an unknown kind", args: []string{"-use", "sse100k=x.md"}, want: []string{`no chart uses results of kind "sse100k"`}},
		{name: "-use of a missing file", args: []string{"-use", "sse=nope.md"}, want: []string{"-use sse=nope.md", "nope.md"}},
		{name: "-use without =", args: []string{"-use", "sse"}, want: []string{`want KIND=FILE, got "sse"`}},
		{name: "arguments", args: []string{"extra"}, want: []string{`unexpected arguments ["extra"]`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			results := copyResults(t, c.skip...)
			if c.change != nil {
				c.change(t, results)
			}
			out := filepath.Join(t.TempDir(), "img")
			var stderr bytes.Buffer
			err := run(append([]string{"-results", results, "-out", out}, c.args...), io.Discard, &stderr)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error() + stderr.String()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error does not say %q:\n%s", w, msg)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("the output directory was created: charts written despite the error")
			}
		})
	}
}

func replaceIn(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), old, new, 1)
	if s == string(data) {
		t.Fatalf("%q not in %s", old, path)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRepositoryResults draws the charts from bench/results as they are:
// a results file that compare writes and the charts cannot read fails here.
func TestRepositoryResults(t *testing.T) {
	out := t.TempDir()
	if err := run([]string{"-results", "../../results", "-out", out}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, c := range charts {
		doc := readSVG(t, filepath.Join(out, "bench-"+c.name+".svg"))
		if len(doc.bars) == 0 {
			t.Errorf("bench-%s.svg has no bars", c.name)
		}
	}
}

func TestFindBenchRoot(t *testing.T) {
	// The tests run in bench/cmd/charts: the root is two levels up.
	root, err := findBenchRoot()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.Abs("../..")
	if root != want {
		t.Fatalf("bench root %s, want %s", root, want)
	}
	if got := modulePath(filepath.Join(root, "go.mod")); got != benchModule {
		t.Fatalf("module %q", got)
	}
	if got := modulePath(filepath.Join(t.TempDir(), "go.mod")); got != "" {
		t.Fatalf("module of no file: %q", got)
	}
}
