package metrics

import (
	"html"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/worker"
)

// statusEvery is how often /status/events sends the status.
const statusEvery = time.Second

// reportMaxAge is how long a rendered status serves every page and stream
// that asks: rendering counts the connections of every loop, which one
// viewer a second is enough of.
const reportMaxAge = statusEvery / 2

var reportCache struct {
	mu   sync.Mutex
	at   time.Time
	text string
}

// statusReport returns worker.StatusReport, rendered at most once per
// reportMaxAge for all viewers. It blocks while it renders: call it on a
// goroutine, never on an event loop.
func statusReport() string {
	reportCache.mu.Lock()
	defer reportCache.mu.Unlock()
	if reportCache.text == "" || time.Since(reportCache.at) >= reportMaxAge {
		reportCache.text = worker.StatusReport()
		reportCache.at = time.Now()
	}
	return reportCache.text
}

// statusPage answers /status: the status as it is now, in a page whose
// script replaces it with each event of /status/events.
func statusPage() *http.Response {
	page := strings.Replace(statusHTML, "{{status}}", html.EscapeString(statusReport()), 1)
	return http.NewResponse(200, page).
		WithHeader("Content-Type", "text/html; charset=utf-8").
		WithHeader("Cache-Control", "no-store").
		WithHeader("X-Content-Type-Options", "nosniff")
}

// statusEvents answers /status/events: an event stream of the status, one
// event a second, from a timer of the connection (it ends with the
// connection). The status is rendered on a goroutine; a tick that finds
// the previous rendering still under way is skipped, so events never pile
// up behind a slow one.
func statusEvents(c *connection.Conn, r *http.Request) {
	stream, err := sse.Start(c, r, sse.Options{Heartbeat: -1, Retry: 2 * time.Second})
	if err != nil {
		return // a HEAD request (answered), or the client is gone
	}
	var busy atomic.Bool
	push := func() {
		if busy.Swap(true) {
			return
		}
		go func() {
			defer busy.Store(false)
			// An error means the viewer left: the timer ends with the
			// connection.
			_ = stream.Send(sse.Event{Data: statusReport()})
		}()
	}
	push()
	c.Every(statusEvery, push)
}

// statusHTML is the page of /status; {{status}} is replaced by the
// escaped status text. The script sets the events' text with textContent,
// which never reads it as markup.
const statusHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>workerman-go status</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; }
pre { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; background: #f6f8fa; padding: 1rem; overflow: auto; }
.state { color: #666; }
</style>
</head>
<body>
<h1>workerman-go status</h1>
<p class="state">Live updates: <span id="state">connecting</span>. Prometheus metrics: <a href="metrics">/metrics</a>.</p>
<pre id="status">{{status}}</pre>
<script>
const pre = document.getElementById('status');
const state = document.getElementById('state');
if (typeof EventSource === 'undefined') {
  state.textContent = 'not supported by this browser (reload the page to update it)';
} else {
  const source = new EventSource('status/events');
  source.onopen = () => { state.textContent = 'on, every second'; };
  source.onmessage = (event) => { pre.textContent = event.data; };
  source.onerror = () => {
    state.textContent = source.readyState === EventSource.CONNECTING ? 'reconnecting…' : 'closed';
  };
}
</script>
</body>
</html>
`
