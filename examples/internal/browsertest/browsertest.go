// Package browsertest runs the pages of the example programs in a real
// browser, Debian's Chromium without a window, driven through the DevTools
// protocol (github.com/chromedp/chromedp): a test starts the example's
// server, opens its page in one or more tabs, acts as a user would (types,
// clicks) and waits, through the page's own DOM, for what a user would see.
//
// Every tab is watched for the failures a user would not see but that break
// a page: an uncaught exception (or unhandled rejection), a console.error
// or a failed console.assert, an error in the browser's log (a resource that
// failed to load, other than the browser's own request for /favicon.ico)
// and a dialog (alert, confirm) opened by the page. Any of them fails the
// test that opened the tab, when it ends.
//
// It is not a general browser-automation library: it holds what the page
// tests of the examples share, nothing more. The browser is found on the
// machine (see Find), never downloaded; without one the tests are skipped,
// with a message saying which Debian package to install, except under
// CI=true, where .ci/run installs it and a missing browser fails the test.
//
// Every wait is bounded by Timeout, so a broken page fails its test
// instead of hanging it.
package browsertest

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/inspector"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/workerman-go/workerman/internal/testutil"
)

// Timeout bounds every wait of a test: the browser's start, a page load, an
// action, a condition.
const Timeout = testutil.Timeout

// Package is the Debian package that provides the browser the tests
// prefer (the headless shell: no window system needed, quick to start).
const Package = "chromium-headless-shell"

// candidates are the browsers Find tries, in order: Debian's headless
// shell binary itself first (its /usr/bin script runs it without exec, so
// a browser stopped through the script could leave the binary behind),
// then the usual names on PATH, then Debian's Chromium binary.
var candidates = []string{
	"/usr/lib/chromium/chromium-headless-shell",
	"chromium-headless-shell",
	"chromium",
	"chromium-browser",
	"google-chrome",
	"google-chrome-stable",
	"/usr/lib/chromium/chromium",
}

// Find returns the path of a Chromium-based browser on this machine:
// Debian's chromium-headless-shell or chromium, chromium-browser, or
// google-chrome (on PATH, or in /usr/lib/chromium). The error says what to
// install.
func Find() (string, error) {
	for _, name := range candidates {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("no browser found (tried %s): install Debian's %s package "+
		"(apt-get install %s) or chromium", strings.Join(candidates, ", "), Package, Package)
}

// Browser is a headless browser started for a test, with a fresh profile
// in the test's temporary folder, and closed when the test ends. Its
// subtests may share it: each opens its own tabs.
type Browser struct {
	ctx    context.Context // the browser's chromedp context (its first tab)
	output *testutil.Log   // the browser process's stdout and stderr
}

// An Option changes how Start starts the browser.
type Option func(*[]chromedp.ExecAllocatorOption)

// TrustCertificate makes the browser accept cert, a test server's
// certificate, for https pages, as if it were signed by an authority it
// trusts: Chromium accepts the certificates of that public key only
// (--ignore-certificate-errors-spki-list), so every other certificate is
// still checked.
func TrustCertificate(cert *x509.Certificate) Option {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	pin := base64.StdEncoding.EncodeToString(sum[:])
	return func(opts *[]chromedp.ExecAllocatorOption) {
		*opts = append(*opts, chromedp.Flag("ignore-certificate-errors-spki-list", pin))
	}
}

// Start starts a browser for the test. Without a browser on the machine
// (see Find) the test is skipped, or fails under CI=true.
func Start(t testing.TB, options ...Option) *Browser {
	t.Helper()
	path, err := Find()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	b := &Browser{output: &testutil.Log{}}
	profile := t.TempDir() // removed after the browser has exited (cleanups run last first)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // the tests may run as root, where Chromium's sandbox refuses to start
		chromedp.UserDataDir(profile),
		chromedp.Flag("no-proxy-server", true), // the pages are on loopback addresses: never through a proxy
		chromedp.CombinedOutput(b.output),
	)
	for _, o := range options {
		o(&opts)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b.ctx = ctx
	t.Cleanup(func() {
		// Close the browser gracefully (it answers at once), then free
		// the allocator; the profile's folder is removed next.
		cctx, ccancel := context.WithTimeout(ctx, Timeout)
		err := chromedp.Cancel(cctx)
		ccancel()
		cancel()
		cancelAlloc()
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("closing the browser: %v", err)
		}
		if t.Failed() {
			t.Logf("the browser's output (last lines):\n%s", lastLines(b.output.String(), 20))
		}
	})
	// The first action starts the browser. Its context must not have a
	// deadline (it would end the browser with it): within bounds it.
	b.within(t, "starting the browser "+path, cancel, func() error { return chromedp.Do(ctx) })
	return b
}

// within runs f, failing the test if it returns an error or has not
// returned after Timeout (then stop is called, to end what f waits for).
func (b *Browser) within(t testing.TB, what string, stop func(), f func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v\nthe browser's output (last lines):\n%s", what, err, lastLines(b.output.String(), 20))
		}
	case <-timer.C:
		stop()
		t.Fatalf("%s: no answer after %v\nthe browser's output (last lines):\n%s", what, Timeout, lastLines(b.output.String(), 20))
	}
}

// NewPage opens a tab for test t (the browser's or one of its subtests) in
// the browser's own profile: the tabs it opens share their cookies, as the
// tabs of one person's browser do. name identifies the tab in failure
// messages. The tab is closed when t ends, and t fails then if the tab had
// an uncaught exception, a console error, an error in the browser's log or
// a dialog.
func (b *Browser) NewPage(t testing.TB, name string) *Page {
	t.Helper()
	return b.newPage(t, name)
}

// NewPrivatePage is NewPage in a browser context of its own, with its own
// cookies and storage: another person's browser (or a private window),
// such as a second user of a chat.
func (b *Browser) NewPrivatePage(t testing.TB, name string) *Page {
	t.Helper()
	return b.newPage(t, name, chromedp.WithNewBrowserContext())
}

func (b *Browser) newPage(t testing.TB, name string, opts ...chromedp.ContextOption) *Page {
	t.Helper()
	p := &Page{t: t, name: name}
	opts = append(opts, chromedp.WithListener(p.observe))
	ctx, cancel := chromedp.NewContext(b.ctx, opts...)
	p.ctx = ctx
	t.Cleanup(func() {
		cancel() // closes the tab (before the browser closes: cleanups run last first)
		for _, problem := range p.takeProblems() {
			t.Errorf("%s: %s", name, problem)
		}
	})
	// The first action opens the tab: without a deadline, as for the
	// browser (the tab lives as long as its context).
	b.within(t, "opening the tab "+name, cancel, func() error { return chromedp.Do(ctx) })
	return p
}

// Page is a browser tab.
type Page struct {
	t    testing.TB
	name string
	ctx  context.Context

	mu       sync.Mutex
	problems []string
}

// problem records something that fails the test when it ends.
func (p *Page) problem(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.problems = append(p.problems, fmt.Sprintf(format, args...))
}

// takeProblems returns the problems recorded so far, and forgets them.
func (p *Page) takeProblems() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	problems := p.problems
	p.problems = nil
	return problems
}

// problemsSoFar lists the problems recorded so far, for a failure message.
func (p *Page) problemsSoFar() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.problems) == 0 {
		return "none"
	}
	return strings.Join(p.problems, "\n")
}

// observe sees every event of the tab, on the goroutine that reads them:
// it records the problems and must not block (see chromedp.Listen).
func (p *Page) observe(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + firstLine(d.Exception.Description)
		}
		p.problem("uncaught exception: %s (%s:%d:%d)", text, d.URL, d.LineNumber+1, d.ColumnNumber+1)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			where := ""
			if st := ev.StackTrace; st != nil && len(st.CallFrames) > 0 {
				f := st.CallFrames[0]
				where = fmt.Sprintf(" (%s:%d:%d)", f.URL, f.LineNumber+1, f.ColumnNumber+1)
			}
			p.problem("console.%s: %s%s", ev.Type, argsText(ev.Args), where)
		}
	case *log.EventEntryAdded:
		if e := ev.Entry; e.Level == log.EntryLevelError && !browsersOwn(e) {
			p.problem("browser log (%s): %s %s", e.Source, e.Text, e.URL)
		}
	case *page.EventJavascriptDialogOpening:
		p.problem("the page opened a dialog (%s): %q", ev.Type, ev.Message)
		// A dialog stops the page's script until it is answered: dismiss
		// it (a command may not be sent from here, the event loop).
		go func() {
			ctx, cancel := context.WithTimeout(p.ctx, Timeout)
			defer cancel()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}()
	case *inspector.EventTargetCrashed:
		p.problem("the tab crashed")
	}
}

// browsersOwn reports whether a log entry is about a request the browser
// made of its own accord, not the page: /favicon.ico, which Chromium (not
// its headless shell) asks every site for, and logs as an error when it is
// missing (404), as the examples' servers answer.
func browsersOwn(e *log.Entry) bool {
	u, err := url.Parse(e.URL)
	return e.Source == log.EntrySourceNetwork && err == nil && u.Path == "/favicon.ico"
}

// argsText renders the arguments of a console call.
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		var s string
		switch {
		case a.Type == runtime.RemoteObjectTypeString && json.Unmarshal(a.Value, &s) == nil:
		case a.Description != "":
			s = firstLine(a.Description)
		case len(a.Value) > 0:
			s = string(a.Value)
		default:
			s = string(a.Type)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// Do runs chromedp actions in the tab, for what the other methods do not
// do; an error, or no end within Timeout, fails the test. what says what
// they do, for the failure message.
func (p *Page) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %s: %v\n%s", p.name, what, err, p.state())
	}
}

// Navigate loads url in the tab and waits for its load event; it fails
// the test unless the page is answered 200.
func (p *Page) Navigate(url string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		p.t.Fatalf("%s: loading %s: %v", p.name, url, err)
	}
	if resp == nil || resp.Status != 200 {
		p.t.Fatalf("%s: loading %s: %v, want 200", p.name, url, status(resp))
	}
}

// ClickToLoad clicks the element that sel (a CSS selector) finds, a link
// or a form's button, and waits for the page it loads; it fails the test
// unless that page is answered 200.
func (p *Page) ClickToLoad(sel string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("%s: clicking %s: %v\n%s", p.name, sel, err, p.state())
	}
	if resp == nil || resp.Status != 200 {
		p.t.Fatalf("%s: clicking %s loaded %s: %v, want 200", p.name, sel, urlOf(resp), status(resp))
	}
}

// Click clicks the element that sel (a CSS selector) finds, once it is
// visible.
func (p *Page) Click(sel string) {
	p.t.Helper()
	p.Do("clicking "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// Type types text into the element that sel (a CSS selector) finds, key
// by key, as a user does ("\n" is the Enter key).
func (p *Page) Type(sel, text string) {
	p.t.Helper()
	p.Do(fmt.Sprintf("typing %q into %s", text, sel), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// SetValue sets the value of the form field that sel (a CSS selector)
// finds, replacing what it holds, without key events.
func (p *Page) SetValue(sel, value string) {
	p.t.Helper()
	p.Do(fmt.Sprintf("setting %s to %q", sel, value), chromedp.SetValue(chromedp.CSS(sel), value))
}

// Upload chooses files (paths on this machine) in the file input that sel
// (a CSS selector) finds, as a user does in the file dialog.
func (p *Page) Upload(sel string, files ...string) {
	p.t.Helper()
	p.Do(fmt.Sprintf("choosing %q in %s", files, sel), chromedp.SetUploadFiles(chromedp.CSS(sel), files))
}

// Eval evaluates a JavaScript expression in the tab's page and returns its
// value, decoded from JSON into T; an exception fails the test.
func Eval[T any](p *Page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: evaluating %s: %v\n%s", p.name, expr, err, p.state())
	}
	return v
}

// Script runs JavaScript in the tab's page for its effect, such as an
// observer that records what the page shows over time; an exception fails
// the test.
func (p *Page) Script(js string) {
	p.t.Helper()
	Eval[chromedp.Void](p, js)
}

// Text returns the text content of the first element that sel (a CSS
// selector) finds, "" if there is none.
func (p *Page) Text(sel string) string {
	p.t.Helper()
	return Eval[string](p, "document.querySelector("+JS(sel)+")?.textContent ?? ''")
}

// WaitFor waits until the JavaScript expression cond is true (truthy) in
// the tab's page, polling it; what says what is awaited, for the failure
// message after Timeout. An exception in cond counts as false (an element
// that does not exist yet), and is shown if it times out.
func (p *Page) WaitFor(what, cond string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout+5*time.Second)
	defer cancel()
	guarded := "(() => { try { return !!(" + cond + "); } catch (e) { return false; } })()"
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](guarded,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(Timeout)))
	if err == nil {
		return
	}
	// Once more without the guard: the value, or the exception.
	vctx, vcancel := context.WithTimeout(p.ctx, Timeout)
	defer vcancel()
	last, verr := chromedp.Run(vctx, chromedp.Evaluate[json.RawMessage]("JSON.stringify("+cond+") ?? 'undefined'"))
	lastText := string(last)
	if verr != nil {
		lastText = verr.Error()
	}
	p.t.Fatalf("%s: waiting for %s: %v\nthe condition %s is %s\n%s", p.name, what, err, cond, lastText, p.state())
}

// ScreenshotsEnv is the environment variable that names the folder where
// Screenshot saves its pictures (`make screenshots` sets it to docs/img).
const ScreenshotsEnv = "BROWSERTEST_SCREENSHOTS"

// The screenshots' size in CSS pixels: all as wide, as high as the page
// within bounds.
const (
	screenshotWidth     = 800
	screenshotMinHeight = 500
	screenshotMaxHeight = 1000
)

// Screenshot saves what the tab shows, 800 CSS pixels wide and as high as
// the page (500 to 1,000), as name.png in the folder that
// $BROWSERTEST_SCREENSHOTS names: the pictures of the documentation,
// refreshed with `make screenshots`. Without that variable (every ordinary
// test run) it does nothing, so a test calls it at the moment worth
// showing, when the page shows what its test has checked.
func (p *Page) Screenshot(name string) {
	p.t.Helper()
	dir := os.Getenv(ScreenshotsEnv)
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	// Lay the page out at the pictures' width, then at its own height, and
	// let it paint.
	const painted = `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(document.documentElement.scrollHeight))))`
	height := int64(screenshotMinHeight)
	err := chromedp.Do(ctx, chromedp.EmulateViewport(screenshotWidth, height))
	if err == nil {
		height, err = chromedp.Run(ctx, chromedp.Evaluate[int64](painted, chromedp.EvalAwaitPromise))
	}
	if err == nil {
		height = min(max(height, screenshotMinHeight), screenshotMaxHeight)
		err = chromedp.Do(ctx, chromedp.EmulateViewport(screenshotWidth, height))
	}
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.Evaluate[int64](painted, chromedp.EvalAwaitPromise))
	}
	var png []byte
	if err == nil {
		png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
	if err != nil {
		p.t.Fatalf("%s: screenshot %s: %v", p.name, name, err)
	}
}

// state describes the tab for a failure message: its URL, the start of its
// text, and the problems recorded so far.
func (p *Page) state() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	type info struct {
		URL  string `json:"url"`
		Text string `json:"text"`
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[info](`({url: location.href, text: (document.body?.innerText ?? '').slice(0, 2000)})`))
	if err != nil {
		return fmt.Sprintf("(the page's state is unknown: %v)\nproblems so far: %s", err, p.problemsSoFar())
	}
	return fmt.Sprintf("the page %s shows:\n%s\nproblems so far: %s", v.URL, indent(v.Text), p.problemsSoFar())
}

// JS returns s as a JavaScript string literal, to put a Go string in an
// expression.
func JS(s string) string {
	b, err := json.Marshal(s)
	if err != nil { // a string always encodes
		panic(err)
	}
	return string(b)
}

// status describes a page's response for a failure message.
func status(resp *network.Response) string {
	if resp == nil {
		return "no response"
	}
	return fmt.Sprintf("%d %s", resp.Status, resp.StatusText)
}

func urlOf(resp *network.Response) string {
	if resp == nil {
		return "nothing"
	}
	return resp.URL
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func indent(s string) string {
	return "\t" + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n\t")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
