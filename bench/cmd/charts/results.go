package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// resultName is the name compare gives a results file:
// <kind>-<YYYY-MM-DD>.md, then <kind>-<YYYY-MM-DD>-2.md, -3.md... for the
// later runs of the same day.
var resultName = regexp.MustCompile(`^([a-z0-9]+(?:-[a-z0-9]+)*?)-([0-9]{4}-[0-9]{2}-[0-9]{2})(?:-([0-9]+))?\.md$`)

// resultFile is a results file and what its name says.
type resultFile struct {
	path string
	kind string    // echo, http, sse, ws, tls, fanout, sse100k...
	date time.Time // the day of the run
	seq  int       // 1 without a suffix, N for -N
}

// newer reports whether r is a later run than o: a later day, or the same
// day and a larger suffix.
func (r resultFile) newer(o resultFile) bool {
	if !r.date.Equal(o.date) {
		return r.date.After(o.date)
	}
	return r.seq > o.seq
}

// parseResultName reads a results file's name; ok is false when the name
// is not one compare gives (README.md, notes...): such files are not
// results. A name of that form with an impossible date or suffix is an
// error.
func parseResultName(dir, name string) (resultFile, bool, error) {
	m := resultName.FindStringSubmatch(name)
	if m == nil {
		return resultFile{}, false, nil
	}
	r := resultFile{path: filepath.Join(dir, name), kind: m[1], seq: 1}
	d, err := time.Parse("2006-01-02", m[2])
	if err != nil {
		return resultFile{}, false, fmt.Errorf("%s: the date in the name: %w", r.path, err)
	}
	r.date = d
	if m[3] != "" {
		n, err := strconv.Atoi(m[3])
		if err != nil || n < 1 {
			return resultFile{}, false, fmt.Errorf("%s: the -N suffix %q is not a run number", r.path, m[3])
		}
		r.seq = n
	}
	return r, true, nil
}

// newestResults returns, for every kind of results file in dir, the newest
// one (see resultFile.newer).
func newestResults(dir string) (map[string]resultFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the results directory: %w", err)
	}
	newest := map[string]resultFile{}
	var errs []error
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		r, ok, err := parseResultName(dir, e.Name())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue
		}
		if cur, seen := newest[r.kind]; !seen || r.newer(cur) {
			newest[r.kind] = r
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return newest, nil
}
