package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/internal/browsertest"
	"github.com/workerman-go/workerman/examples/internal/wstest"
)

// The tutorial's client in a browser: on submit it connects and sends the
// name; the server answers with the name's last word, then closes the
// connection cleanly (1000, "Bye!") after closeDelay (5 s in the program;
// the test shortens it, as main_test.go does). Twice: a new connection
// each time.
func TestBrowserHello(t *testing.T) {
	closeDelay = 300 * time.Millisecond
	w := newServer("127.0.0.1:0")
	w.Count = 1
	addr := wstest.Start(t, w)
	p := browsertest.Start(t).NewPage(t, "hello")
	p.Navigate("http://" + addr + "/")

	if got := p.Text("#state"); got != "not connected" {
		t.Fatalf("before submitting, the state is %q, want not connected", got)
	}
	var want string
	for _, tc := range []struct{ send, name string }{
		{"", "John"}, // the form's own value, "My name is John"
		{"je m'appelle Zoë", "Zoë"},
	} {
		send := tc.send
		if send == "" {
			send = browsertest.Eval[string](p, `document.forms.hello.name.value`)
		} else {
			p.SetValue("form[name=hello] input[name=name]", send)
		}
		p.Click("form[name=hello] input[type=submit]")
		want += "[open] Connection established\n" +
			"Sending to server: " + send + "\n" +
			"[message] Data received from server: Hello from server, " + tc.name + "\n" +
			"[close] Connection closed cleanly, code=1000 reason=Bye!\n"
		closes := strings.Count(want, "[close]")
		p.WaitFor("the close", `document.getElementById('log').textContent.split('[close]').length - 1 === `+strconv.Itoa(closes))
		if got := p.Text("#log"); got != want {
			t.Fatalf("the page's log:\n%s\nwant:\n%s", got, want)
		}
		if got := p.Text("#state"); got != "closed" {
			t.Fatalf("after the close the state is %q, want closed", got)
		}
	}
	p.Screenshot("ws-hello")
}
