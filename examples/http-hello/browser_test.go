package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/internal/browsertest"
	"github.com/workerman-go/workerman/internal/testutil"
)

// The page in a browser, each of its parts used as a user would: the JSON
// button, the hello form, the posted form (whose markup is shown as text),
// the upload, and the session counter behind its link.
func TestBrowserHTTPHello(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // session files and spilled uploads
	w := newServer("127.0.0.1:0")
	w.Count = 1
	base := "http://" + testutil.Start(t, w)
	p := browsertest.Start(t).NewPage(t, "http-hello")
	p.Navigate(base + "/")
	if got := p.Text("h1"); got != "workerman-go says hello" {
		t.Fatalf("the page's title is %q", got)
	}

	// JSON, fetched by the page's script.
	p.Click("button#time")
	p.WaitFor("the time", `document.getElementById('out').textContent !== ''`)
	var got struct {
		Unix    int64  `json:"unix"`
		RFC3339 string `json:"rfc3339"`
		Conn    *int64 `json:"conn"`
	}
	out := p.Text("#out")
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.Conn == nil {
		t.Fatalf("the page shows %q (%v), want the JSON of /api/time", out, err)
	}
	if ts, err := time.Parse(time.RFC3339, got.RFC3339); err != nil || ts.Unix() != got.Unix {
		t.Fatalf("the page shows %q: rfc3339 and unix disagree (%v)", out, err)
	}
	p.Screenshot("http-hello")

	// The hello form, a GET.
	p.SetValue("form[action='/hello'] input[name=name]", "Ada Lovelace")
	p.ClickToLoad("form[action='/hello'] button")
	if got := browsertest.Eval[string](p, `location.pathname + location.search + ' ' + document.body.textContent`); got != "/hello?name=Ada+Lovelace Hello, Ada Lovelace!\n" {
		t.Fatalf("after the hello form: %q", got)
	}

	// The posted form: what was typed is shown as text, never run.
	const title = `<script>alert("x")</script>`
	p.Navigate(base + "/")
	p.SetValue("form[action='/form'] input[name=title]", title)
	p.SetValue("form[action='/form'] input[name=comment]", "<i>hi</i> & bye")
	p.ClickToLoad("form[action='/form'] button")
	type posted struct{ Title, Text string }
	shown := browsertest.Eval[posted](p, `({Title: document.querySelector('b').textContent, Text: document.body.innerText})`)
	if want := (posted{title, "title: " + title + "\n\ncomment: <i>hi</i> & bye\n\nback"}); shown != want {
		t.Fatalf("after posting the form, the page shows %+v, want %+v", shown, want)
	}
	if n := browsertest.Eval[int](p, `document.querySelectorAll('script, i').length`); n != 0 {
		t.Fatalf("after posting the form, the page has %d script or i elements: the markup was applied", n)
	}

	// The upload, multipart: its name, size and hash.
	content := bytes.Repeat([]byte("workerman-go\n"), 200_000) // 2.6 MB: over the 1 MiB kept in memory
	file := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(file, content, 0o644); err != nil {
		t.Fatal(err)
	}
	p.ClickToLoad("a[href='/']")
	p.Upload("form[action='/upload'] input[type=file]", file)
	p.ClickToLoad("form[action='/upload'] button")
	sum := sha256.Sum256(content)
	if got, want := p.Text("p"), fmt.Sprintf("notes.txt: %d bytes, sha256 %s", len(content), hex.EncodeToString(sum[:])); got != want {
		t.Fatalf("after the upload the page shows %q, want %q", got, want)
	}

	// The session: the browser keeps its cookie (HttpOnly: the page cannot
	// read it), and the count goes on.
	for _, want := range []string{"visit number 1 in this session", "visit number 2 in this session"} {
		p.ClickToLoad("a[href='/']")
		p.ClickToLoad("a[href='/visits']")
		if got := p.Text("p"); got != want {
			t.Fatalf("the visits page shows %q, want %q", got, want)
		}
	}
}
