package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewestResults(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{
		"sse-2026-11-30-99.md", // an earlier day, whatever its suffix
		"sse-2026-12-01.md",
		"sse-2026-12-01-2.md",
		"sse-2026-12-01-10.md", // -10 is after -9, not before -2
		"sse-2026-12-01-9.md",
		"sse100k-2026-11-01.md", // a kind of its own, not sse's
		"metrics-cost-2026-12-02.md",
		"ws-2026-12-01-4.md",
		"ws-2026-12-02.md", // a later day without a suffix beats -4 of the day before
		"README.md",
		"notes.txt",
		"sse-2026-12-05.md.bak",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sse-2026-12-31.md"), 0o755); err != nil { // a directory is no file
		t.Fatal(err)
	}
	got, err := newestResults(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"sse":          "sse-2026-12-01-10.md",
		"sse100k":      "sse100k-2026-11-01.md",
		"metrics-cost": "metrics-cost-2026-12-02.md",
		"ws":           "ws-2026-12-02.md",
	}
	if len(got) != len(want) {
		t.Fatalf("kinds %v, want %v", got, want)
	}
	for kind, name := range want {
		if filepath.Base(got[kind].path) != name {
			t.Errorf("newest %s: %s, want %s", kind, got[kind].path, name)
		}
	}
}

func TestNewestResultsBadNames(t *testing.T) {
	for _, name := range []string{"sse-2026-13-01.md", "sse-2026-12-01-0.md", "sse-2026-12-01-99999999999999999999.md"} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := newestResults(dir)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v does not name the file", name, err)
		}
	}
	if _, err := newestResults(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing directory: %v", err)
	}
}

func TestParseResultName(t *testing.T) {
	cases := []struct {
		name string
		kind string
		seq  int
		ok   bool
	}{
		{"sse-2026-12-01-5.md", "sse", 5, true},
		{"sse-2026-12-01.md", "sse", 1, true},
		{"metrics-cost-2026-12-02.md", "metrics-cost", 1, true},
		{"fanout-2026-12-02-2.md", "fanout", 2, true},
		{"SSE-2026-12-01.md", "", 0, false},
		{"sse-26-12-01.md", "", 0, false},
		{"sse.md", "", 0, false},
	}
	for _, c := range cases {
		r, ok, err := parseResultName("d", c.name)
		if err != nil || ok != c.ok || r.kind != c.kind || (ok && r.seq != c.seq) {
			t.Errorf("parseResultName(%q) = %+v, %v, %v", c.name, r, ok, err)
		}
	}
}
