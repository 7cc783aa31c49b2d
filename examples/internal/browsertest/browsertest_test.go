package browsertest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/log"

	"github.com/workerman-go/workerman/internal/testutil"
)

// serve starts an HTTP server on a loopback port for the test, with
// pages: path -> HTML.
func serve(t *testing.T, pages map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cookie" {
			http.SetCookie(w, &http.Cookie{Name: "who", Value: r.URL.Query().Get("v"), Path: "/"})
		}
		page, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestFindNamesThePackage(t *testing.T) {
	saved := candidates
	t.Cleanup(func() { candidates = saved })
	candidates = []string{"no-such-browser-here", "/no/such/browser"}
	if _, err := Find(); err == nil || !strings.Contains(err.Error(), "apt-get install "+Package) {
		t.Fatalf("Find: %v, want an error naming the package %s", err, Package)
	}
}

// Only the browser's own request for /favicon.ico is not the page's
// problem.
func TestBrowsersOwn(t *testing.T) {
	for _, tc := range []struct {
		e    log.Entry
		want bool
	}{
		{log.Entry{Source: log.EntrySourceNetwork, URL: "http://127.0.0.1:8081/favicon.ico"}, true},
		{log.Entry{Source: log.EntrySourceNetwork, URL: "http://127.0.0.1:8081/missing.png"}, false},
		{log.Entry{Source: log.EntrySourceNetwork, URL: "http://127.0.0.1:8081/img/favicon.ico"}, false},
		{log.Entry{Source: log.EntrySourceJavascript, URL: "http://127.0.0.1:8081/favicon.ico"}, false},
	} {
		if got := browsersOwn(&tc.e); got != tc.want {
			t.Errorf("browsersOwn(%+v) = %v, want %v", tc.e, got, tc.want)
		}
	}
}

// Without a browser, a test is skipped (under CI=true it would fail).
func TestStartWithoutBrowserSkips(t *testing.T) {
	saved := candidates
	t.Cleanup(func() { candidates = saved })
	candidates = []string{"no-such-browser-here"}
	t.Setenv("CI", "")
	returned := false
	t.Run("page test", func(t *testing.T) {
		Start(t)
		returned = true
	})
	if returned {
		t.Fatal("Start returned without a browser, want the test skipped")
	}
}

// One browser for the tests of the helpers (a browser takes a second to
// start).
func TestPages(t *testing.T) {
	b := Start(t)
	t.Run("problems are recorded", func(t *testing.T) { testProblems(t, b) })
	t.Run("actions", func(t *testing.T) { testActions(t, b) })
	t.Run("private pages", func(t *testing.T) { testPrivatePages(t, b) })
}

// The problems a page can have are each recorded, with the tab's name.
func testProblems(t *testing.T, b *Browser) {
	base := serve(t, map[string]string{"/": `<!doctype html><title>broken</title>
<img src="/missing.png">
<script>
console.log('fine');
console.warn('fine too');
console.error('an error', 42);
console.assert(1 === 2, 'an assertion');
setTimeout(() => { throw new Error('thrown later'); });
Promise.reject(new Error('rejected'));
alert('hello');
document.title = 'done';
</script>`})
	p := b.NewPage(t, "broken page")
	p.Navigate(base + "/")
	// The alert stops the script until it is dismissed; then it goes on.
	p.WaitFor("the end of the script", `document.title === 'done'`)
	want := []string{
		"console.error: an error 42",
		"console.assert: an assertion",
		"uncaught exception: Uncaught Error: thrown later",
		"uncaught exception: Uncaught (in promise) Error: rejected",
		`the page opened a dialog (alert): "hello"`,
		"browser log (network): Failed to load resource: the server responded with a status of 404 (Not Found) " + base + "/missing.png",
	}
	var got []string
	testutil.Eventually(t, "every problem recorded", func() bool {
		got = append(got, p.takeProblems()...)
		return len(got) >= len(want)
	})
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, w)
		}
		if !found {
			t.Errorf("no problem %q among:\n%s", w, strings.Join(got, "\n"))
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
}

// A user's actions, and what the page shows after them.
func testActions(t *testing.T, b *Browser) {
	base := serve(t, map[string]string{
		"/": `<!doctype html><title>form</title>
<p id="n">0</p><button id="inc" onclick="n.textContent++">+1</button>
<form action="/done" method="get"><input name="q"><button id="go">Go</button></form>
<p id="typed"></p>
<script>document.forms[0].q.oninput = (e) => { typed.textContent = e.target.value; };</script>`,
		"/done": `<!doctype html><p id="q"></p><script>q.textContent = new URL(location).searchParams.get('q');</script>`,
	})
	p := b.NewPage(t, "form")
	p.Navigate(base + "/")
	p.Click("#inc")
	p.Click("#inc")
	p.WaitFor("the count to be 2", `document.getElementById('n').textContent === '2'`)
	if n := Eval[int](p, `Number(document.getElementById('n').textContent)`); n != 2 {
		t.Fatalf("count %d, want 2", n)
	}
	p.Type("input[name=q]", "<b>x</b>")
	p.WaitFor("the typed text", `document.getElementById('typed').textContent === `+JS("<b>x</b>"))
	p.ClickToLoad("#go")
	if got := p.Text("#q"); got != "<b>x</b>" {
		t.Fatalf("after the form: %q, want <b>x</b>", got)
	}
	if got := p.Text("#none"); got != "" {
		t.Fatalf("Text of nothing: %q", got)
	}
}

// Tabs of one profile share cookies; a private tab has its own.
func testPrivatePages(t *testing.T, b *Browser) {
	base := serve(t, map[string]string{"/cookie": `<!doctype html>ok`, "/": `<!doctype html>ok`})
	first, second, private := b.NewPage(t, "first"), b.NewPage(t, "second"), b.NewPrivatePage(t, "private")
	first.Navigate(base + "/cookie?v=first")
	second.Navigate(base + "/")
	private.Navigate(base + "/")
	if got := Eval[string](second, "document.cookie"); got != "who=first" {
		t.Fatalf("second tab's cookies: %q, want who=first", got)
	}
	if got := Eval[string](private, "document.cookie"); got != "" {
		t.Fatalf("private tab's cookies: %q, want none", got)
	}
}
