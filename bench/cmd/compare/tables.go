package main

import (
	"fmt"
	"math"
	"strings"
)

// Tables and goals that the sse and ws reports share.

// cmpTable writes a Markdown table that compares servers measurement by
// measurement: a column per server, then ratios ours ÷ another server. S
// is a benchmark's summary of one server.
type cmpTable[S any] struct {
	b      strings.Builder
	cols   []*S
	our    *S
	ratios []cmpRatio[S]
}

// cmpRatio is a ratio column of a cmpTable: our value ÷ base's, headed
// head.
type cmpRatio[S any] struct {
	base *S
	head string
}

// newCmpTable starts a table with the servers cols (labelled labels); the
// last column, ratioHead, divides our value by base's (either may be nil:
// no ratio).
func newCmpTable[S any](labels []string, cols []*S, base, our *S, ratioHead string) *cmpTable[S] {
	return newCmpTableRatios(labels, cols, our, []cmpRatio[S]{{base, ratioHead}})
}

// newCmpTableRatios starts a table with the servers cols (labelled
// labels) and a ratio column per element of ratios (our value ÷ its
// base's; no ratio where either is nil).
func newCmpTableRatios[S any](labels []string, cols []*S, our *S, ratios []cmpRatio[S]) *cmpTable[S] {
	t := &cmpTable[S]{cols: cols, our: our, ratios: ratios}
	t.b.WriteString("| measurement |")
	for _, l := range labels {
		fmt.Fprintf(&t.b, " %s |", l)
	}
	for _, r := range ratios {
		fmt.Fprintf(&t.b, " %s |", r.head)
	}
	t.b.WriteString("\n|---|")
	for range len(cols) + len(ratios) {
		t.b.WriteString("---:|")
	}
	t.b.WriteString("\n")
	return t
}

// row writes one measurement: get returns a server's value and whether it
// has one ("failed" otherwise; a NaN value is "–", not applicable to that
// server); format formats it; ratioToo adds the ratios.
func (t *cmpTable[S]) row(name string, get func(*S) (float64, bool), format string, ratioToo bool) {
	fmt.Fprintf(&t.b, "| %s |", name)
	for _, s := range t.cols {
		v, ok := get(s)
		cell := "failed"
		switch {
		case ok && math.IsNaN(v):
			cell = "–" // not applicable to this server
		case ok:
			cell = fmt.Sprintf(format, v)
		}
		fmt.Fprintf(&t.b, " %s |", cell)
	}
	for _, rc := range t.ratios {
		r := "–"
		if ratioToo && rc.base != nil && t.our != nil {
			bv, bok := get(rc.base)
			ov, ook := get(t.our)
			r = ratio(ov, bv, ook, bok)
		}
		fmt.Fprintf(&t.b, " %s |", r)
	}
	t.b.WriteString("\n")
}

func (t *cmpTable[S]) String() string { return t.b.String() }

// limitGoal is a goal (or a check) of a benchmark, a value and its limit,
// and how the run measured it.
type limitGoal struct {
	Goal     string  `json:"goal"`
	Measured bool    `json:"measured"`
	Value    float64 `json:"value,omitempty"` // what is compared with Limit
	Limit    float64 `json:"limit"`
	Shown    string  `json:"shown,omitempty"` // the value as the table shows it
	Pass     bool    `json:"pass"`
}

// atMost judges a goal "value ≤ limit" when measured, shown with format.
func atMost(goal string, value, limit float64, measured bool, format string) limitGoal {
	g := limitGoal{Goal: goal, Limit: limit}
	if measured {
		g.Measured, g.Value = true, value
		g.Shown = fmt.Sprintf(format, value)
		g.Pass = value <= limit
	}
	return g
}

// goalsTable renders goals in Markdown, with a pass or fail mark.
func goalsTable(goals []limitGoal) string {
	var b strings.Builder
	b.WriteString("| goal | measured | result |\n|---|---:|---|\n")
	for _, g := range goals {
		measured, result := "–", "not measured"
		if g.Measured {
			measured = g.Shown
			result = "✅ pass"
			if !g.Pass {
				result = "❌ fail"
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", g.Goal, measured, result)
	}
	return b.String()
}

// roundsNote is " (ok/rounds rounds)" when a median rests on fewer rounds
// than the run had, "" otherwise.
func roundsNote(ok, rounds int) string {
	if ok < rounds {
		return fmt.Sprintf(" (%d/%d rounds)", ok, rounds)
	}
	return ""
}

// joinSections joins the non-empty sections of a report with blank lines.
func joinSections(sections ...string) string {
	var out []string
	for _, s := range sections {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, "\n")
}
