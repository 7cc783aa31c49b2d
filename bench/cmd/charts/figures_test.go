package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestReadFiguresByRow(t *testing.T) {
	f, err := readFigures("testdata/results/sse-2026-12-01-5.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"net/http (goroutine per stream)", "workerman-go"}; !reflect.DeepEqual(f.servers, want) {
		t.Fatalf("servers %q, want %q (the ratio column left out)", f.servers, want)
	}
	if f.title != "Server-Sent Events benchmark, 2026-12-01 09:38 UTC" || f.line != 3 {
		t.Fatalf("title %q, line %d", f.title, f.line)
	}
	m, err := f.find("fan-out to 1,000: delivered events/s")
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.value(m, 1)
	if err != nil || v.value != 1622210 || v.state != cellValue {
		t.Fatalf("workerman-go delivered events/s = %+v, %v; want 1622210", v, err)
	}
	if m.cells[1].line != 16 {
		t.Fatalf("line %d, want 16", m.cells[1].line)
	}
}

func TestReadFiguresByColumn(t *testing.T) {
	f, err := readFigures("testdata/results/echo-2026-12-01.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"net (goroutine per conn)", "gnet v2 (engine ceiling)", "workerman-go"}; !reflect.DeepEqual(f.servers, want) {
		t.Fatalf("servers %q, want %q", f.servers, want)
	}
	var names []string
	for _, m := range f.meas {
		names = append(names, m.name)
	}
	// The three "vs net" columns are ratios, not measurements.
	want := []string{"echo msg/s", "p50 µs", "p99 µs", "server CPU µs/msg", "CPU busy % server / load gen", "idle KiB/conn"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("measurements %q, want %q", names, want)
	}
	m, err := f.find("idle KiB/conn")
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.value(m, 1)
	if err != nil || v.value != 0.5 || v.decimals != 2 {
		t.Fatalf("gnet idle = %+v, %v", v, err)
	}
	// "95 / 97" is two numbers: an error naming the file, line, row and server.
	m, err = f.find("CPU busy")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.value(m, 0)
	for _, s := range []string{"echo-2026-12-01.md:5:", `"CPU busy % server / load gen"`, `"net (goroutine per conn)"`, `"95 / 97"`} {
		if err == nil || !strings.Contains(err.Error(), s) {
			t.Fatalf("error %v does not name %s", err, s)
		}
	}
}

func TestReadFiguresSkipsRatioTable(t *testing.T) {
	// The ws file starts with a table of ratios whose first header cell is
	// "workerman-go ÷ gorilla/websocket": the figures are in the second.
	f, err := readFigures("testdata/results/ws-2026-12-01-4.md")
	if err != nil {
		t.Fatal(err)
	}
	if f.line != 13 || len(f.servers) != 2 || f.servers[0] != "gorilla/websocket (goroutine per conn)" {
		t.Fatalf("table at line %d, servers %q", f.line, f.servers)
	}
}

func TestParseFiguresErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"no table", "# x\n\ntext\n", "x.md: no figures table"},
		{"only other tables", "| goal | measured |\n|---|---|\n| a | 1 |\n", "x.md: no figures table"},
		{"only ratios", "| measurement | a ÷ b |\n|---|---|\n| m | 1× |\n", "x.md:1: no figures table: the table has no server column"},
	}
	for _, c := range cases {
		_, err := parseFigures("x.md", c.src)
		if err == nil || !errors.Is(err, errNoFigures) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

func TestFind(t *testing.T) {
	src := "| measurement | a | b |\n|---|---|---|\n| tick: CPU % | 1 | 2 |\n| tick: CPU µs | 3 | 4 |\n| **bold: x** | 5 | 6 |\n| ratio-ish | 1× | – |\n"
	f, err := parseFigures("x.md", src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.find("tick: CPU"); err == nil || !strings.Contains(err.Error(), "x.md:1: 2 measurements start with") {
		t.Errorf("ambiguous prefix: %v", err)
	}
	if _, err := f.find("nothing"); err == nil || !strings.Contains(err.Error(), `x.md:1: no measurement "nothing"`) {
		t.Errorf("missing: %v", err)
	}
	m, err := f.find("BOLD: x")
	if err != nil || m.name != "bold: x" {
		t.Fatalf("case-folded, bold row: %v, %v", m, err)
	}
	// A column is a server's when not all of its cells are ratios.
	if len(f.servers) != 2 {
		t.Fatalf("servers %q", f.servers)
	}
}
