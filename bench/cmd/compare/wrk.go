package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// wrk, the HTTP load generator of the http benchmark: finding (or
// installing) it and reading its report.

// wrkResult is what wrk (4.x, run with --latency) reports for one run.
type wrkResult struct {
	Requests       int64   `json:"requests"`          // completed in the run
	DurationSec    float64 `json:"duration_sec"`      // as wrk measured it
	RequestsPerSec float64 `json:"requests_per_sec"`  // Requests / DurationSec
	TransferPerSec float64 `json:"transfer_per_sec"`  // bytes read per second
	P50us          float64 `json:"p50_us"`            // latency percentiles
	P75us          float64 `json:"p75_us"`            //
	P90us          float64 `json:"p90_us"`            //
	P99us          float64 `json:"p99_us"`            //
	ConnectErrors  int64   `json:"connect_errors"`    // "Socket errors: connect N, ..."
	ReadErrors     int64   `json:"read_errors"`       //
	WriteErrors    int64   `json:"write_errors"`      //
	Timeouts       int64   `json:"timeouts"`          //
	BadStatus      int64   `json:"non_2xx_responses"` // "Non-2xx or 3xx responses: N"
}

// problems lists what makes the run a failure: socket errors, error
// statuses, no request at all.
func (r *wrkResult) problems() []string {
	var p []string
	if n := r.ConnectErrors + r.ReadErrors + r.WriteErrors + r.Timeouts; n > 0 {
		p = append(p, fmt.Sprintf("%d socket errors (connect %d, read %d, write %d, timeout %d)",
			n, r.ConnectErrors, r.ReadErrors, r.WriteErrors, r.Timeouts))
	}
	if r.BadStatus > 0 {
		p = append(p, fmt.Sprintf("%d non-2xx responses", r.BadStatus))
	}
	if r.Requests == 0 {
		p = append(p, "no request completed")
	}
	return p
}

// parseWrk reads the text wrk prints on stdout:
//
//	Running 5s test @ http://127.0.0.1:8080/
//	  1 threads and 100 connections
//	  Thread Stats   Avg      Stdev     Max   +/- Stdev
//	    Latency   503.00us  ...
//	  Latency Distribution
//	     50%  503.00us
//	     ...
//	     99%    1.81ms
//	  488186 requests in 5.00s, 60.06MB read
//	  Socket errors: connect 0, read 3, write 0, timeout 0
//	  Non-2xx or 3xx responses: 12
//	Requests/sec:  97628.49
//	Transfer/sec:     12.01MB
//
// The "Socket errors" and "Non-2xx" lines appear only when not zero. wrk
// counts as "Non-2xx or 3xx" the responses with a status of 400 or more.
// The request count, the rate and the 50th and 99th percentiles are
// required; their absence is an error.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	var haveCount, haveRate, inDist bool
	have := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		percentile := inDist && len(f) == 2 && strings.HasSuffix(f[0], "%")
		inDist = percentile // the distribution ends at the first other line
		var err error
		switch {
		case strings.TrimSpace(line) == "Latency Distribution":
			inDist = true
		case percentile:
			var v float64
			if v, err = parseWrkTime(f[1]); err == nil {
				switch f[0] {
				case "50%":
					r.P50us = v
				case "75%":
					r.P75us = v
				case "90%":
					r.P90us = v
				case "99%":
					r.P99us = v
				}
				have[f[0]] = true
			}
		case len(f) >= 4 && f[1] == "requests" && f[2] == "in":
			r.Requests, err = strconv.ParseInt(f[0], 10, 64)
			if err == nil {
				var us float64
				us, err = parseWrkTime(strings.TrimSuffix(f[3], ","))
				r.DurationSec = us / 1e6
			}
			haveCount = err == nil
		case f[0] == "Socket" && len(f) >= 3 && f[1] == "errors:":
			// Socket errors: connect 0, read 3, write 0, timeout 0
			rest := strings.Join(f[2:], " ")
			for _, part := range strings.Split(rest, ",") {
				kv := strings.Fields(part)
				if len(kv) != 2 {
					err = fmt.Errorf("malformed socket errors %q", part)
					break
				}
				var n int64
				if n, err = strconv.ParseInt(kv[1], 10, 64); err != nil {
					break
				}
				switch kv[0] {
				case "connect":
					r.ConnectErrors = n
				case "read":
					r.ReadErrors = n
				case "write":
					r.WriteErrors = n
				case "timeout":
					r.Timeouts = n
				}
			}
		case strings.HasPrefix(strings.TrimSpace(line), "Non-2xx or 3xx responses:"):
			r.BadStatus, err = strconv.ParseInt(f[len(f)-1], 10, 64)
		case f[0] == "Requests/sec:" && len(f) == 2:
			r.RequestsPerSec, err = strconv.ParseFloat(f[1], 64)
			haveRate = err == nil
		case f[0] == "Transfer/sec:" && len(f) == 2:
			r.TransferPerSec, err = parseWrkBytes(f[1])
		}
		if err != nil {
			return r, fmt.Errorf("wrk output line %q: %w", strings.TrimSpace(line), err)
		}
	}
	var missing []string
	if !haveCount {
		missing = append(missing, `"N requests in T"`)
	}
	if !haveRate {
		missing = append(missing, `"Requests/sec:"`)
	}
	if !have["50%"] || !have["99%"] {
		missing = append(missing, "the latency distribution (--latency)")
	}
	if len(missing) > 0 {
		return r, fmt.Errorf("wrk output lacks %s", strings.Join(missing, ", "))
	}
	return r, nil
}

// parseWrkTime reads a duration as wrk prints it ("503.00us", "1.25ms",
// "5.00s", "1.00m", "2.00h") and returns microseconds.
func parseWrkTime(s string) (float64, error) {
	units := []struct {
		suffix string
		us     float64
	}{{"us", 1}, {"ms", 1e3}, {"s", 1e6}, {"m", 60e6}, {"h", 3600e6}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("bad duration %q", s)
			}
			return v * u.us, nil
		}
	}
	return 0, fmt.Errorf("bad duration %q", s)
}

// parseWrkBytes reads a size as wrk prints it ("11.65MB", "512.00B"; binary
// units) and returns bytes.
func parseWrkBytes(s string) (float64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"TB", 1 << 40}, {"PB", 1 << 50}, {"B", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("bad size %q", s)
			}
			return v * u.mult, nil
		}
	}
	return 0, fmt.Errorf("bad size %q", s)
}

// wrkArgs are the arguments of one wrk run against addr: threads,
// connections, whole seconds and the latency distribution. Connections are
// kept alive (HTTP/1.1 requests without "Connection: close": wrk's default).
func wrkArgs(threads, conns, seconds int, addr string) []string {
	return wrkURLArgs(threads, conns, seconds, "http://"+addr+"/")
}

// wrkScriptArgs are wrkURLArgs with the Lua script (wrk -s) when script
// is not empty.
func wrkScriptArgs(threads, conns, seconds int, url, script string) []string {
	a := wrkURLArgs(threads, conns, seconds, url)
	if script == "" {
		return a
	}
	return append(a[:len(a)-1:len(a)-1], "-s", script, url)
}

// wrkURLArgs are wrkArgs for any URL ("https://127.0.0.1:PORT/": wrk
// speaks TLS through OpenSSL, without verifying the certificate).
func wrkURLArgs(threads, conns, seconds int, url string) []string {
	return []string{
		"-t" + strconv.Itoa(threads),
		"-c" + strconv.Itoa(conns),
		"-d" + strconv.Itoa(seconds) + "s",
		"--latency",
		url,
	}
}

// findWrk returns the path of wrk: explicit when given, else wrk from PATH,
// installed with apt-get (as root) when it is missing.
func findWrk(ctx context.Context, explicit string) (string, error) {
	return findTool(ctx, explicit, tool{
		bin: "wrk", pkg: "wrk", flag: "-wrk",
		manual: "install it (Debian/Ubuntu: apt-get install -y wrk; or build it from https://github.com/wg/wrk) and try again, or give its path with -wrk",
	})
}

// tool is a program the harness runs (a load generator), and how to get it.
type tool struct {
	bin    string // its name in PATH
	pkg    string // the Debian package that has it
	flag   string // the flag that gives its path
	manual string // what to do when it cannot be installed here
}

// findTool returns the path of t: explicit when given (the value of
// t.flag), else t.bin from PATH, installed with apt-get (as root) when it
// is missing.
func findTool(ctx context.Context, explicit string, t tool) (string, error) {
	if explicit != "" {
		p, err := exec.LookPath(explicit)
		if err != nil {
			return "", fmt.Errorf("%s %s: %w", t.flag, explicit, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath(t.bin); err == nil {
		return p, nil
	}
	if os.Geteuid() != 0 {
		return "", fmt.Errorf("%s is not installed and installing it needs root: %s", t.bin, t.manual)
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return "", fmt.Errorf("%s is not installed and there is no apt-get to install it: %s", t.bin, t.manual)
	}
	logf("compare: %s is not installed: installing it (apt-get update && apt-get install -y %s)", t.bin, t.pkg)
	for _, args := range [][]string{{"update"}, {"install", "-y", t.pkg}} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("installing %s: apt-get %s: %v\n%s\n%s", t.bin, strings.Join(args, " "), err, tail(string(out), 10), t.manual)
		}
	}
	p, err := exec.LookPath(t.bin)
	if err != nil {
		return "", fmt.Errorf("apt-get installed %s but %s is not in PATH: %s", t.pkg, t.bin, t.manual)
	}
	logf("compare: installed %s", p)
	return p, nil
}

// wrkVersion is the version line of "wrk -v" (which exits non-zero),
// without the copyright: "wrk 4.1.0 [epoll]".
func wrkVersion(ctx context.Context, path string) string {
	out, _ := exec.CommandContext(ctx, path, "-v").CombinedOutput()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	line, _, _ = strings.Cut(line, " Copyright")
	if line = strings.TrimSpace(line); line == "" {
		return "wrk, unknown version"
	}
	return line
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
