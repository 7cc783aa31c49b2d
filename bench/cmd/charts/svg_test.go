package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestFormatValue(t *testing.T) {
	cases := []struct {
		v        float64
		decimals int
		want     string
	}{
		{1.53, 2, "1.53"},
		{0.5, 2, "0.50"},
		{1622210, 0, "1,622,210"},
		{9999, 0, "9999"}, // four digits stay as they are
		{12345.678, 1, "12,345.7"},
		{-83834, 0, "-83,834"},
		{155.189, 0, "155"},
	}
	for _, c := range cases {
		if got := formatValue(c.v, c.decimals); got != c.want {
			t.Errorf("formatValue(%v, %d) = %q, want %q", c.v, c.decimals, got, c.want)
		}
	}
}

func TestClassify(t *testing.T) {
	cases := map[string]serverClass{
		"workerman-go":                               classOurs,
		"workerman-go http":                          classOurs,
		"workerman-go TLS":                           classOurs,
		"Workerman (PHP 8.3, event loop)":            classWorkerman,
		"net (goroutine per conn)":                   classStd,
		"net/http (baseline)":                        classStd,
		"net/http TLS (HTTP/1.1)":                    classStd,
		"gnet v2 minimal responder (engine ceiling)": classGnet,
		"gorilla/websocket (goroutine per conn)":     classGorilla,
		"fasthttp":                                   classOther,
		"network thing":                              classOther,
	}
	for label, want := range cases {
		if got := classify(label); got != want {
			t.Errorf("classify(%q) = %v, want %v", label, got, want)
		}
	}
	if got := shortName("a very long server name that goes on (detail)", classOther); got != "a very long server …" {
		t.Errorf("shortName: %q", got)
	}
}

func TestOrderBars(t *testing.T) {
	bars := []bar{{server: "x", class: classOther}, {server: "net", class: classStd}, {server: "y", class: classOther}, {server: "wm", class: classOurs}}
	orderBars(bars)
	var got []string
	for _, b := range bars {
		got = append(got, b.server)
	}
	if want := []string{"wm", "net", "x", "y"}; !slices.Equal(got, want) {
		t.Fatalf("order %q, want %q", got, want)
	}
}

func TestEsc(t *testing.T) {
	if got, want := esc("a<b>&\"c'\x01\xff"), "a&lt;b&gt;&amp;&quot;c&apos;\uFFFD\uFFFD"; got != want {
		t.Fatalf("esc = %q, want %q", got, want)
	}
}

// TestRenderOddChart draws a chart with markup in its labels, a failed and
// an unmeasured server, an unknown server and a negative figure: the SVG
// is well-formed, every bar is there, and the width holds the widest text.
func TestRenderOddChart(t *testing.T) {
	long := "A <label> & \"quotes\" that is long enough to widen the chart beyond its minimum width, " + strings.Repeat("wide ", 12)
	c := &chart{
		spec: chartSpec{name: "odd", title: "Odd <chart> & co, µs", better: "lower is better", note: "a note"},
		panels: []panel{{title: "Panel", groups: []group{
			{label: long, source: "x-2026-01-01.md", bars: []bar{
				{server: "workerman-go", class: classOurs, value: 3, decimals: 0, line: 3},
				{server: "net/http", class: classStd, state: cellFailed, line: 4},
				{server: "fasthttp <x>", class: classOther, state: cellNotMeasured, line: 5},
				{server: "gnet", class: classGnet, value: -1, decimals: 1, line: 6},
			}},
		}}},
		sources: []string{"x-2026-01-01.md"},
	}
	svg := renderSVG(c)
	path := filepath.Join(t.TempDir(), "odd.svg")
	if err := os.WriteFile(path, svg, 0o644); err != nil {
		t.Fatal(err)
	}
	doc := readSVG(t, path)
	want := []string{
		"workerman-go: 3 (x-2026-01-01.md, line 3)",
		"gnet: -1.0 (x-2026-01-01.md, line 6)",
	}
	if !slices.Equal(doc.bars, want) {
		t.Fatalf("bars %q, want %q", doc.bars, want)
	}
	for _, s := range []string{"failed", "not measured", "fasthttp <x>", "Odd <chart> & co, µs"} {
		if !slices.Contains(doc.texts, s) {
			t.Errorf("no text %q in %q", s, doc.texts)
		}
	}
	var width float64
	for _, a := range doc.root.Attr {
		if a.Name.Local == "width" {
			width, _ = strconv.ParseFloat(a.Value, 64)
		}
	}
	if need := groupLabelWidth(c.panels[0].groups[0]) + 2*margin; width < need {
		t.Fatalf("width %v, the group label needs %v", width, need)
	}
}

func TestWrap(t *testing.T) {
	lines := wrap("one two three four five six seven eight nine ten", 60, 12)
	if len(lines) < 2 || strings.Join(lines, " ") != "one two three four five six seven eight nine ten" {
		t.Fatalf("wrap: %q", lines)
	}
	for _, l := range lines {
		if textWidth(l, 12) > 60 && strings.Contains(l, " ") {
			t.Errorf("line %q is wider than 60", l)
		}
	}
}
