package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// mdTable is one Markdown (GitHub) table of a results file: a header row,
// its delimiter row (|---|---:|) and the rows that follow up to the first
// line that is not a table row.
type mdTable struct {
	line   int      // line number (1-based) of the header row
	header []string // header cells, emphasis and code marks removed
	rows   []mdRow
}

// mdRow is one body row of a table.
type mdRow struct {
	line  int      // line number (1-based)
	cells []string // emphasis and code marks removed
}

// maxCells bounds the cells of a row: a results table has a dozen; a line
// with thousands of pipes is not a table worth reading.
const maxCells = 256

// parseTables returns the tables of a Markdown document, in order. Tables
// inside fenced code blocks (the raw JSON of a results file) are not
// tables. It never fails: what is not a well-formed table is text.
func parseTables(src string) []mdTable {
	lines := strings.Split(src, "\n")
	var tables []mdTable
	fence := ""
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], "\r")
		if f, rest := fenceMark(line); f != "" {
			switch {
			case fence == "":
				fence = f
			case f[0] == fence[0] && len(f) >= len(fence) && strings.TrimSpace(rest) == "":
				fence = ""
			}
			continue
		}
		if fence != "" || !isTableLine(line) || i+1 >= len(lines) {
			continue
		}
		header := splitCells(line)
		delim := strings.TrimRight(lines[i+1], "\r")
		if !isTableLine(delim) && !strings.Contains(delim, "|") {
			continue
		}
		dcells := splitCells(delim)
		if len(dcells) != len(header) || !allDelimiters(dcells) {
			continue
		}
		t := mdTable{line: i + 1, header: cleanCells(header)}
		i += 2
		for ; i < len(lines); i++ {
			l := strings.TrimRight(lines[i], "\r")
			if !isTableLine(l) {
				break
			}
			t.rows = append(t.rows, mdRow{line: i + 1, cells: cleanCells(splitCells(l))})
		}
		i-- // the line that ended the table may start the next block
		tables = append(tables, t)
	}
	return tables
}

// fenceMark returns the run of ``` or ~~~ (three or more) that opens or
// closes a fenced code block on line, and the rest of the line; "" when
// the line is no fence.
func fenceMark(line string) (mark, rest string) {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 || len(t) < 3 {
		return "", ""
	}
	c := t[0]
	if c != '`' && c != '~' {
		return "", ""
	}
	n := 0
	for n < len(t) && t[n] == c {
		n++
	}
	if n < 3 {
		return "", ""
	}
	return t[:n], t[n:]
}

// isTableLine reports whether line is a row of a pipe table: it starts with
// "|" (after up to three spaces of indentation).
func isTableLine(line string) bool {
	t := strings.TrimLeft(line, " ")
	return len(line)-len(t) <= 3 && strings.HasPrefix(t, "|")
}

// splitCells splits a table line into its cells: the leading and trailing
// pipes are dropped, "\|" is a pipe inside a cell. At most maxCells cells
// are kept.
func splitCells(line string) []string {
	t := strings.TrimSpace(line)
	t = strings.TrimPrefix(t, "|")
	if strings.HasSuffix(t, "|") && !strings.HasSuffix(t, `\|`) {
		t = t[:len(t)-1]
	}
	var cells []string
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		switch {
		case t[i] == '\\' && i+1 < len(t) && t[i+1] == '|':
			b.WriteByte('|')
			i++
		case t[i] == '|':
			cells = append(cells, strings.TrimSpace(b.String()))
			b.Reset()
			if len(cells) == maxCells {
				return cells
			}
		default:
			b.WriteByte(t[i])
		}
	}
	return append(cells, strings.TrimSpace(b.String()))
}

// allDelimiters reports whether every cell is a delimiter cell: ---, :---,
// ---: or :---:.
func allDelimiters(cells []string) bool {
	for _, c := range cells {
		c = strings.TrimSuffix(strings.TrimPrefix(c, ":"), ":")
		if c == "" || strings.Trim(c, "-") != "" {
			return false
		}
	}
	return true
}

func cleanCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = cleanCell(c)
	}
	return out
}

// cleanCell removes the emphasis and code marks that wrap a whole cell
// (**2.00**, _x_, `x`) and the spaces around it.
func cleanCell(s string) string {
	s = strings.TrimSpace(s)
	for {
		trimmed := false
		for _, m := range []string{"**", "__", "*", "_", "`"} {
			if len(s) > 2*len(m) && strings.HasPrefix(s, m) && strings.HasSuffix(s, m) {
				s = strings.TrimSpace(s[len(m) : len(s)-len(m)])
				trimmed = true
				break
			}
		}
		if !trimmed {
			return s
		}
	}
}

// cellState says what a figure cell holds.
type cellState int

const (
	cellValue       cellState = iota // a number
	cellFailed                       // "failed": every round of that server failed
	cellNotMeasured                  // "–", "-", "" or "n/a": the run did not measure it
)

// errNotANumber is wrapped by every error of parseFigure.
var errNotANumber = errors.New("not a number")

// figure is what a figure cell holds.
type figure struct {
	value    float64
	state    cellState
	decimals int // digits after the decimal point, as written
}

// parseFigure reads a figure cell as compare writes them: a number with
// optional thousands separators (1,622,210) and sign, an optional unit
// after it (1.53 KiB, 86 %, 0.75×), an optional note in parentheses at the
// end ("130070 (3/5 rounds)"); or "failed"; or a dash or nothing (not
// measured). A cell with two numbers ("95 / 97") is an error: which one is
// meant is not for a chart to guess.
func parseFigure(cell string) (figure, error) {
	s := cleanCell(cell)
	// Notes in parentheses at the end: "(3/5 rounds)".
	for strings.HasSuffix(s, ")") {
		open := strings.LastIndex(s, "(")
		if open <= 0 {
			break
		}
		s = strings.TrimSpace(s[:open])
	}
	s = cleanCell(s)
	switch strings.ToLower(s) {
	case "failed":
		return figure{state: cellFailed}, nil
	case "", "–", "-", "—", "n/a":
		return figure{state: cellNotMeasured}, nil
	}
	num, decimals, rest, err := leadingNumber(s)
	if err != nil {
		return figure{}, fmt.Errorf("%w: %q: %v", errNotANumber, cell, err)
	}
	rest = strings.TrimSpace(rest)
	if strings.IndexFunc(rest, unicode.IsDigit) >= 0 {
		return figure{}, fmt.Errorf("%w: %q has more than one number", errNotANumber, cell)
	}
	if utf8.RuneCountInString(rest) > 16 {
		return figure{}, fmt.Errorf("%w: %q: %q after the number is not a unit", errNotANumber, cell, rest)
	}
	return figure{value: num, state: cellValue, decimals: decimals}, nil
}

// leadingNumber reads the number at the start of s: an optional sign (+, -
// or −), digits grouped by commas in threes or not at all, an optional
// fraction. It returns the number, its digits after the decimal point and
// what follows it.
func leadingNumber(s string) (v float64, decimals int, rest string, err error) {
	var b strings.Builder
	i := 0
	switch {
	case strings.HasPrefix(s, "−"): // U+2212 MINUS SIGN
		b.WriteByte('-')
		i = len("−")
	case strings.HasPrefix(s, "-"), strings.HasPrefix(s, "+"):
		b.WriteByte(s[0])
		i = 1
	}
	start := i
	group := -1 // digits since the last comma, -1 before the first comma
	lead := 0   // digits before the first comma
	for i < len(s) {
		c := s[i]
		if c >= '0' && c <= '9' {
			b.WriteByte(c)
			if group >= 0 {
				group++
				if group > 3 {
					return 0, 0, "", errors.New("digits grouped by commas must come in threes")
				}
			} else {
				lead++
			}
			i++
			continue
		}
		// A comma followed by a digit groups thousands; any other comma
		// ends the number ("12.18, 6.83").
		if c == ',' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
			if (group < 0 && (lead == 0 || lead > 3)) || (group >= 0 && group != 3) {
				return 0, 0, "", errors.New("digits grouped by commas must come in threes")
			}
			group = 0
			i++
			continue
		}
		break
	}
	if i == start {
		return 0, 0, "", errors.New("it does not start with a number")
	}
	if group >= 0 && group != 3 {
		return 0, 0, "", errors.New("digits grouped by commas must come in threes")
	}
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i+1 {
			return 0, 0, "", errors.New("a decimal point without digits after it")
		}
		b.WriteString(s[i:j])
		decimals = j - i - 1
		i = j
	}
	v, err = strconv.ParseFloat(b.String(), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, 0, "", errors.New("it is out of range")
	}
	return v, decimals, s[i:], nil
}

// groupThousands writes v as parseFigure reads it back: the shortest
// decimal form, the integer part grouped by commas in threes.
func groupThousands(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac := s, ""
	if dot := strings.IndexByte(s, '.'); dot >= 0 {
		intPart, frac = s[:dot], s[dot:]
	}
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	b.WriteString(frac)
	return b.String()
}
