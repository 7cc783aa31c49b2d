package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// figures is the figures table of one results file: its first table whose
// first header cell is "measurement" (a row per measurement, a column per
// server: sse, ws, tls, fanout) or "server" (a row per server, a column per
// measurement: echo, http), turned into measurements by server either way.
// Ratio columns (a header with "÷", "ratio" or "vs ...", or cells that all
// end in "×") are left out.
type figures struct {
	path    string   // the file, as named in errors and captions
	title   string   // its "# " line
	line    int      // line of the table's header
	servers []string // server labels, in the table's order
	meas    []measurement
}

// measurement is one measurement of a figures table: a value cell per
// server (same order as figures.servers).
type measurement struct {
	name  string
	cells []figCell
}

// figCell is one cell of a figures table and where it is.
type figCell struct {
	text string
	line int
}

// errNoFigures is wrapped when a file has no figures table.
var errNoFigures = errors.New("no figures table")

// readFigures reads the figures table of the results file at path.
func readFigures(path string) (*figures, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading results: %w", err)
	}
	return parseFigures(path, string(data))
}

// parseFigures finds and reads the figures table of src (the content of
// the results file path).
func parseFigures(path, src string) (*figures, error) {
	f := &figures{path: path}
	for _, l := range strings.Split(src, "\n") {
		if t, ok := strings.CutPrefix(strings.TrimSpace(l), "# "); ok {
			f.title = strings.TrimSpace(t)
			break
		}
	}
	for _, t := range parseTables(src) {
		if len(t.header) < 2 {
			continue
		}
		switch strings.ToLower(t.header[0]) {
		case "measurement":
			f.line = t.line
			f.byRow(t)
		case "server":
			f.line = t.line
			f.byColumn(t)
		default:
			continue
		}
		if len(f.servers) == 0 {
			return nil, fmt.Errorf("%s:%d: %w: the table has no server column (only ratios?)", path, t.line, errNoFigures)
		}
		return f, nil
	}
	return nil, fmt.Errorf("%s: %w (a table whose first column is \"measurement\" or \"server\")", path, errNoFigures)
}

// byRow reads a table with a row per measurement and a column per server.
func (f *figures) byRow(t mdTable) {
	var cols []int
	for c := 1; c < len(t.header); c++ {
		if !isRatioColumn(t, c) {
			cols = append(cols, c)
			f.servers = append(f.servers, t.header[c])
		}
	}
	for _, r := range t.rows {
		if len(r.cells) == 0 || r.cells[0] == "" {
			continue
		}
		m := measurement{name: r.cells[0]}
		for _, c := range cols {
			m.cells = append(m.cells, figCell{text: cellAt(r.cells, c), line: r.line})
		}
		f.meas = append(f.meas, m)
	}
}

// byColumn reads a table with a row per server and a column per
// measurement.
func (f *figures) byColumn(t mdTable) {
	var rows []mdRow
	for _, r := range t.rows {
		if len(r.cells) > 0 && r.cells[0] != "" {
			rows = append(rows, r)
			f.servers = append(f.servers, r.cells[0])
		}
	}
	for c := 1; c < len(t.header); c++ {
		if isRatioColumn(t, c) || t.header[c] == "" {
			continue
		}
		m := measurement{name: t.header[c]}
		for _, r := range rows {
			m.cells = append(m.cells, figCell{text: cellAt(r.cells, c), line: r.line})
		}
		f.meas = append(f.meas, m)
	}
}

func cellAt(cells []string, i int) string {
	if i < len(cells) {
		return cells[i]
	}
	return ""
}

// isRatioColumn reports whether column c of t holds ratios rather than a
// server's figures: its header says so ("workerman-go ÷ net/http", "ratio",
// "vs net"), or every cell with something in it ends in "×".
func isRatioColumn(t mdTable, c int) bool {
	h := strings.ToLower(t.header[c])
	if strings.Contains(h, "÷") || h == "ratio" || strings.HasPrefix(h, "vs ") || h == "vs" {
		return true
	}
	seen := false
	for _, r := range t.rows {
		v := cellAt(r.cells, c)
		switch v {
		case "", "–", "-", "—":
			continue
		}
		if !strings.HasSuffix(v, "×") {
			return false
		}
		seen = true
	}
	return seen
}

// find returns the one measurement whose name starts with prefix (case
// folded); none or several is an error that names the file.
func (f *figures) find(prefix string) (*measurement, error) {
	var found []*measurement
	for i := range f.meas {
		n := f.meas[i].name
		if len(n) >= len(prefix) && strings.EqualFold(n[:len(prefix)], prefix) {
			found = append(found, &f.meas[i])
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fmt.Errorf("%s:%d: no measurement %q in the figures table (a partial run? choose another file with -use)", f.path, f.line, prefix)
	default:
		return nil, fmt.Errorf("%s:%d: %d measurements start with %q (%q, %q...): the chart's row name is ambiguous", f.path, f.line, len(found), prefix, found[0].name, found[1].name)
	}
}

// value reads the figure of server i of m.
func (f *figures) value(m *measurement, i int) (figure, error) {
	c := m.cells[i]
	v, err := parseFigure(c.text)
	if err != nil {
		return figure{}, fmt.Errorf("%s:%d: measurement %q, server %q: %w", f.path, c.line, m.name, f.servers[i], err)
	}
	return v, nil
}

// base is the file name of the figures' file, for captions.
func (f *figures) base() string { return filepath.Base(f.path) }
