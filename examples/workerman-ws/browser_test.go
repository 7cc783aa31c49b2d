package main

import (
	"testing"

	"github.com/workerman-go/workerman/examples/internal/browsertest"
	"github.com/workerman-go/workerman/examples/internal/wstest"
)

// The manual's client in a browser, on the worker's 4 event loops: on open
// it sends tom and shows the answer, hello tom; the form sends more.
func TestBrowserWorkermanWS(t *testing.T) {
	addr := wstest.Start(t, newServer("127.0.0.1:0"))
	p := browsertest.Start(t).NewPage(t, "manual's client")
	p.Navigate("http://" + addr + "/")

	want := "connected\nsent the string tom to the server\nmessage from the server: hello tom\n"
	p.WaitFor("the answer to tom", `document.getElementById('log').textContent.includes('hello tom')`)
	if got := p.Text("#log"); got != want {
		t.Fatalf("the page's log:\n%s\nwant:\n%s", got, want)
	}
	const data = "jerry <b>&</b> 🙂"
	p.SetValue("form[name=send] input[name=data]", data)
	p.Click("form[name=send] input[type=submit]")
	want += "sent " + data + "\nmessage from the server: hello " + data + "\n"
	p.WaitFor("the answer to jerry", `document.getElementById('log').textContent.includes('hello jerry')`)
	if got := p.Text("#log"); got != want {
		t.Fatalf("the page's log:\n%s\nwant:\n%s", got, want)
	}
	if got := p.Text("#state"); got != "open" {
		t.Fatalf("the page's state is %q, want open", got)
	}
	p.Screenshot("workerman-ws")
}
