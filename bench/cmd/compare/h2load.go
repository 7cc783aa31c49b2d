package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// h2load (nghttp2's HTTP/2 benchmarking tool, Debian's nghttp2-client), the
// request load generator of the HTTP/2 benchmark: finding (or installing)
// it, running it and reading its report.

// h2loadResult is what h2load (nghttp2 1.4x–1.6x, timing-based with -D)
// reports for one run.
type h2loadResult struct {
	DurationSec    float64 `json:"duration_sec"`     // "finished in"
	RequestsPerSec float64 `json:"requests_per_sec"` // done ÷ duration
	Total          int64   `json:"total"`
	Started        int64   `json:"started"`
	Done           int64   `json:"done"`
	Succeeded      int64   `json:"succeeded"`
	Failed         int64   `json:"failed"`
	Errored        int64   `json:"errored"`
	Timeout        int64   `json:"timeout"`
	Status2xx      int64   `json:"status_2xx"`
	Status3xx      int64   `json:"status_3xx"`
	Status4xx      int64   `json:"status_4xx"`
	Status5xx      int64   `json:"status_5xx"`
	// "time for request": from sending a request to its whole response.
	ReqMinUs  float64 `json:"req_min_us"`
	ReqMaxUs  float64 `json:"req_max_us"`
	ReqMeanUs float64 `json:"req_mean_us"`
	ReqSDUs   float64 `json:"req_sd_us"`
	// What the connections negotiated (TLS lines only over TLS).
	TLSProtocol string `json:"tls_protocol,omitempty"`
	Cipher      string `json:"cipher,omitempty"`
	TempKey     string `json:"temp_key,omitempty"`
	ALPN        string `json:"application_protocol,omitempty"` // "h2", "h2c"
}

// problems lists what makes the run a failure: requests that failed,
// errored or timed out, statuses other than 2xx, no request done, or
// another application protocol than want.
func (r *h2loadResult) problems(want string) []string {
	var p []string
	if n := r.Failed + r.Errored + r.Timeout; n > 0 {
		p = append(p, fmt.Sprintf("%d requests failed (failed %d, errored %d, timeout %d)", n, r.Failed, r.Errored, r.Timeout))
	}
	if n := r.Status3xx + r.Status4xx + r.Status5xx; n > 0 {
		p = append(p, fmt.Sprintf("%d answers not 2xx", n))
	}
	if r.Done == 0 {
		p = append(p, "no request done")
	}
	if r.ALPN != want {
		p = append(p, fmt.Sprintf("application protocol %q, want %q", r.ALPN, want))
	}
	return p
}

// parseH2load reads the text h2load prints on stdout:
//
//	TLS Protocol: TLSv1.3
//	Cipher: TLS_AES_128_GCM_SHA256
//	Server Temp Key: X25519 253 bits
//	Application protocol: h2
//	...
//	finished in 3.02s, 89110.00 req/s, 3.06MB/s
//	requests: 267330 total, 268330 started, 267330 done, 267330 succeeded, 0 failed, 0 errored, 0 timeout
//	status codes: 267330 2xx, 0 3xx, 0 4xx, 0 5xx
//	traffic: 9.19MB (9641180) total, 1.29MB (1349050) headers (space savings 95.53%), 3.31MB (3475290) data
//	                     min         max         mean         sd        +/- sd
//	time for request:      440us     54.85ms     10.57ms      6.68ms    72.58%
//
// The "finished", "requests", "status codes" and "time for request" lines
// are required; their absence, or a malformed one, is an error.
func parseH2load(out string) (h2loadResult, error) {
	var r h2loadResult
	have := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		var err error
		switch {
		case strings.HasPrefix(line, "finished in "):
			// finished in 3.02s, 89110.00 req/s, 3.06MB/s
			f := strings.Fields(strings.TrimPrefix(line, "finished in "))
			if len(f) < 3 || f[2] != "req/s," && f[2] != "req/s" {
				err = errors.New("want \"finished in Ts, N req/s, ...\"")
				break
			}
			var us float64
			if us, err = parseH2loadTime(strings.TrimSuffix(f[0], ",")); err != nil {
				break
			}
			r.DurationSec = us / 1e6
			r.RequestsPerSec, err = strconv.ParseFloat(f[1], 64)
			have["finished"] = err == nil
		case strings.HasPrefix(line, "requests: "):
			err = h2loadCounts(strings.TrimPrefix(line, "requests: "), map[string]*int64{
				"total": &r.Total, "started": &r.Started, "done": &r.Done, "succeeded": &r.Succeeded,
				"failed": &r.Failed, "errored": &r.Errored, "timeout": &r.Timeout,
			})
			have["requests"] = err == nil
		case strings.HasPrefix(line, "status codes: "):
			err = h2loadCounts(strings.TrimPrefix(line, "status codes: "), map[string]*int64{
				"2xx": &r.Status2xx, "3xx": &r.Status3xx, "4xx": &r.Status4xx, "5xx": &r.Status5xx,
			})
			have["status"] = err == nil
		case strings.HasPrefix(line, "time for request:"):
			f := strings.Fields(strings.TrimPrefix(line, "time for request:"))
			if len(f) < 4 {
				err = errors.New("want min, max, mean and sd")
				break
			}
			for i, dst := range []*float64{&r.ReqMinUs, &r.ReqMaxUs, &r.ReqMeanUs, &r.ReqSDUs} {
				if *dst, err = parseH2loadTime(f[i]); err != nil {
					break
				}
			}
			have["time"] = err == nil
		case strings.HasPrefix(line, "TLS Protocol:"):
			r.TLSProtocol = strings.TrimSpace(strings.TrimPrefix(line, "TLS Protocol:"))
		case strings.HasPrefix(line, "Cipher:"):
			r.Cipher = strings.TrimSpace(strings.TrimPrefix(line, "Cipher:"))
		case strings.HasPrefix(line, "Server Temp Key:"):
			r.TempKey = strings.TrimSpace(strings.TrimPrefix(line, "Server Temp Key:"))
		case strings.HasPrefix(line, "Application protocol:"):
			r.ALPN = strings.TrimSpace(strings.TrimPrefix(line, "Application protocol:"))
		}
		if err != nil {
			return r, fmt.Errorf("h2load output line %q: %w", line, err)
		}
	}
	var missing []string
	for _, k := range []struct{ key, line string }{
		{"finished", `"finished in"`}, {"requests", `"requests:"`}, {"status", `"status codes:"`}, {"time", `"time for request:"`},
	} {
		if !have[k.key] {
			missing = append(missing, k.line)
		}
	}
	if len(missing) > 0 {
		return r, fmt.Errorf("h2load output lacks %s", strings.Join(missing, ", "))
	}
	return r, nil
}

// h2loadCounts parses "N name, N name, ..." into the counters of dst,
// each of which must be present.
func h2loadCounts(s string, dst map[string]*int64) error {
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		f := strings.Fields(part)
		if len(f) != 2 {
			return fmt.Errorf("malformed count %q", strings.TrimSpace(part))
		}
		p, ok := dst[f[1]]
		if !ok {
			continue // a count this parser does not use
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("malformed count %q", strings.TrimSpace(part))
		}
		*p, seen[f[1]] = n, true
	}
	for name := range dst {
		if !seen[name] {
			return fmt.Errorf("no %q count", name)
		}
	}
	return nil
}

// parseH2loadTime parses one of h2load's durations ("440us", "54.85ms",
// "1.02s") into µs.
func parseH2loadTime(s string) (float64, error) {
	units := []struct {
		suffix string
		us     float64
	}{{"us", 1}, {"ms", 1e3}, {"s", 1e6}} // "s" last: "us" and "ms" end with it
	for _, u := range units {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || v == "" || strings.ContainsAny(v, "eEinfINFxX+-") {
				return 0, fmt.Errorf("bad duration %q", s)
			}
			return f * u.us, nil
		}
	}
	return 0, fmt.Errorf("bad duration %q (want us, ms or s)", s)
}

// h2loadArgs are h2load's arguments: conns connections (-c) over threads
// threads (-t), streams concurrent streams per connection (-m), for
// seconds seconds (-D), to url (https: TLS with ALPN h2; http: h2c by
// prior knowledge).
func h2loadArgs(conns, streams, threads, seconds int, url string) []string {
	return []string{
		"-c", strconv.Itoa(conns),
		"-m", strconv.Itoa(streams),
		"-t", strconv.Itoa(threads),
		"-D", strconv.Itoa(seconds),
		url,
	}
}

// findH2load returns the path of h2load: explicit when given, else h2load
// from PATH, installed with apt-get (as root; Debian's nghttp2-client) when
// it is missing.
func findH2load(ctx context.Context, explicit string) (string, error) {
	return findTool(ctx, explicit, tool{
		bin: "h2load", pkg: "nghttp2-client", flag: "-h2load",
		manual: "install it (Debian/Ubuntu: apt-get install -y nghttp2-client) and try again, give its path with -h2load, or leave the requests tests out (-tests idle,tick)",
	})
}

// h2loadVersion is the first line of "h2load --version": "h2load
// nghttp2/1.52.0".
func h2loadVersion(ctx context.Context, path string) string {
	out, _ := exec.CommandContext(ctx, path, "--version").CombinedOutput()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if line = strings.TrimSpace(line); line == "" {
		return "h2load, unknown version"
	}
	return line
}

// runH2load runs h2load (at path bin) with args, a run of dur, on the load
// generator CPU and returns its report, what was seen of its threads and
// the CPU time it used. An error is a run that could not be measured at
// all (h2load failed or printed no report); the errors h2load counted are
// in the result.
func (h *harness) runH2load(ctx context.Context, bin, name string, args []string, dur time.Duration) (h2loadResult, serverInfo, time.Duration, error) {
	var info serverInfo
	p, err := startProc(h.reg, name, "", false, h.pin.loadgenCPU(), bin, args...)
	if err != nil {
		return h2loadResult{}, info, 0, err
	}
	// Once h2load has started its threads, check where they may run.
	if sleepCtx(ctx, min(500*time.Millisecond, dur/2)) && !p.exited() {
		if info, err = inspect(p, h.pin.loadgenCPU()); err != nil && !p.exited() {
			p.kill()
			return h2loadResult{}, info, 0, err
		}
	}
	if err := p.wait(ctx, dur+30*time.Second); err != nil {
		if out := strings.TrimSpace(tail(p.stdout(), 2)); out != "" && ctx.Err() == nil {
			err = fmt.Errorf("%w; its last lines: %s", err, strings.ReplaceAll(out, "\n", " / "))
		}
		return h2loadResult{}, info, 0, err
	}
	out := p.stdout()
	if err := p.exitErr(); err != nil {
		return h2loadResult{}, info, 0, fmt.Errorf("%s failed: %v\n%s%s", name, err, tail(out, 8), p.diag())
	}
	res, err := parseH2load(out)
	if err != nil {
		return res, info, 0, fmt.Errorf("%s: %v\n%s%s", name, err, tail(out, 15), p.diag())
	}
	return res, info, p.cpuTime(), nil
}
