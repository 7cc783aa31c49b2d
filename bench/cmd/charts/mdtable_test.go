package main

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseTables(t *testing.T) {
	src := strings.Join([]string{
		"# Title",
		"",
		"| measurement | a | b \\| c | a ÷ b |",
		"|---|---:|:---:|---:|",
		"| **bold row** | **2.00** | `3` | 0.5× |",
		"| short | 1 |",
		"text after",
		"```json",
		"| not | a table |",
		"|---|---|",
		"```",
		"| x | y |",
		"|---|---|---|", // delimiter with another cell count: no table
		"",
		"  | h1 | h2",
		"  | --- | :-: ",
		"  | 1 | 2",
		"",
	}, "\r\n")
	got := parseTables(src)
	want := []mdTable{
		{line: 3, header: []string{"measurement", "a", "b | c", "a ÷ b"}, rows: []mdRow{
			{line: 5, cells: []string{"bold row", "2.00", "3", "0.5×"}},
			{line: 6, cells: []string{"short", "1"}},
		}},
		{line: 15, header: []string{"h1", "h2"}, rows: []mdRow{{line: 17, cells: []string{"1", "2"}}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parseTables:\n got %+v\nwant %+v", got, want)
	}
}

func TestParseTablesRealFile(t *testing.T) {
	// echo-2026-11-25.md is kept whole: its raw JSON is in a fence.
	data, err := os.ReadFile("testdata/results/echo-2026-11-25.md")
	if err != nil {
		t.Fatal(err)
	}
	tables := parseTables(string(data))
	var firsts []string
	for _, tb := range tables {
		firsts = append(firsts, tb.header[0])
	}
	if want := []string{"server", "round", "round"}; !reflect.DeepEqual(firsts, want) {
		t.Fatalf("tables start with %q, want %q", firsts, want)
	}
	if n := len(tables[0].rows); n != 2 {
		t.Fatalf("figures table has %d rows, want 2", n)
	}
}

func TestParseFigure(t *testing.T) {
	ok := []struct {
		in       string
		v        float64
		state    cellState
		decimals int
	}{
		{"24.49", 24.49, cellValue, 2},
		{"1,622,210", 1622210, cellValue, 0},
		{"**2.00**", 2, cellValue, 2},
		{"1.53 KiB", 1.53, cellValue, 2},
		{"86 %", 86, cellValue, 0},
		{"0.75×", 0.75, cellValue, 2},
		{"130070 (3/5 rounds)", 130070, cellValue, 0},
		{"0.98× (wrk-bound; by server CPU 1.53×)", 0.98, cellValue, 2},
		{"−3.5", -3.5, cellValue, 1},
		{"+7", 7, cellValue, 0},
		{"12,345.678 µs", 12345.678, cellValue, 3},
		{"failed", 0, cellFailed, 0},
		{"failed (0/5 rounds)", 0, cellFailed, 0},
		{"–", 0, cellNotMeasured, 0},
		{"", 0, cellNotMeasured, 0},
		{"n/a", 0, cellNotMeasured, 0},
	}
	for _, c := range ok {
		f, err := parseFigure(c.in)
		if err != nil {
			t.Errorf("parseFigure(%q): %v", c.in, err)
			continue
		}
		if f.value != c.v || f.state != c.state || f.decimals != c.decimals {
			t.Errorf("parseFigure(%q) = %+v, want value %v state %v decimals %d", c.in, f, c.v, c.state, c.decimals)
		}
	}
	bad := []string{
		"95 / 97",                      // two numbers
		"12.18, 6.83; 122",             // three
		"100,000 / 100,000",            // two
		"1,62,210",                     // groups of two
		"12345,678",                    // a lead of five
		"1,2345",                       // a group of four
		"abc",                          // no number
		"1.",                           // no digits after the point
		"1e5",                          // an exponent: "e5" has a digit
		"2 a very long unit name",      // prose, not a unit
		"1" + strings.Repeat("0", 400), // out of range
		"(3/5 rounds)",
	}
	for _, in := range bad {
		if f, err := parseFigure(in); err == nil || !errors.Is(err, errNotANumber) {
			t.Errorf("parseFigure(%q) = %+v, %v; want an errNotANumber", in, f, err)
		}
	}
}

func TestGroupThousands(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1622210: "1,622,210", -12345.5: "-12,345.5", 0.25: "0.25"} {
		if got := groupThousands(v); got != want {
			t.Errorf("groupThousands(%v) = %q, want %q", v, got, want)
		}
	}
}

// realSeeds returns the testdata results files, seeds of the fuzz tests.
func realSeeds(t testing.TB) []string {
	paths, err := filepath.Glob("testdata/results/*.md")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no seed files: %v", err)
	}
	var out []string
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(data))
	}
	return out
}

func FuzzParseTables(f *testing.F) {
	for _, s := range realSeeds(f) {
		f.Add(s)
	}
	f.Add("| a | b |\n|---|---|\n| 1 | 2 |\n")
	f.Add("```\n| a | b |\n|---|---|\n```\n| c |\n|:-:|\n| \\| |")
	f.Add("| measurement | x | y ÷ x |\n|---|---:|---:|\n| m | 1,000 | 1× |\n")
	f.Fuzz(func(t *testing.T, src string) {
		lines := strings.Count(src, "\n") + 1
		prev := 0
		for _, tb := range parseTables(src) {
			if tb.line <= prev || tb.line > lines {
				t.Fatalf("table at line %d after line %d (of %d)", tb.line, prev, lines)
			}
			prev = tb.line
			if len(tb.header) == 0 || len(tb.header) > maxCells {
				t.Fatalf("header of %d cells", len(tb.header))
			}
			for _, r := range tb.rows {
				if r.line <= prev || r.line > lines || len(r.cells) > maxCells {
					t.Fatalf("row at line %d after %d (of %d), %d cells", r.line, prev, lines, len(r.cells))
				}
				prev = r.line
			}
		}
		// The figures of any document: an error or a table, never a panic.
		if fg, err := parseFigures("fuzz.md", src); err == nil {
			for i := range fg.meas {
				for j := range fg.meas[i].cells {
					_, _ = fg.value(&fg.meas[i], j)
				}
			}
		}
	})
}

func FuzzParseFigure(f *testing.F) {
	for _, s := range realSeeds(f) {
		for _, tb := range parseTables(s) {
			for _, r := range tb.rows {
				for _, c := range r.cells {
					f.Add(c)
				}
			}
		}
	}
	for _, s := range []string{"1,622,210", "**2.00**", "0.75×", "95 / 97", "−1", "failed", "–", "1,2", ",1", "1.5e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cell string) {
		fg, err := parseFigure(cell)
		if err != nil {
			if !errors.Is(err, errNotANumber) {
				t.Fatalf("parseFigure(%q): error %v is not an errNotANumber", cell, err)
			}
			return
		}
		if fg.state != cellValue {
			return
		}
		if math.IsNaN(fg.value) || math.IsInf(fg.value, 0) {
			t.Fatalf("parseFigure(%q) = %v", cell, fg.value)
		}
		// What groupThousands writes reads back as the same number.
		s := groupThousands(fg.value)
		back, err := parseFigure(s)
		if err != nil || back.value != fg.value {
			t.Fatalf("parseFigure(%q) = %v; written %q, read back %+v, %v", cell, fg.value, s, back, err)
		}
		if formatValue(fg.value, fg.decimals) == "" {
			t.Fatalf("formatValue(%v) is empty", fg.value)
		}
	})
}
