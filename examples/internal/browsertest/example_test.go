package browsertest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/workerman-go/workerman/examples/internal/browsertest"
)

// A page test: start the server, open its page in the browser, act as a
// user and wait for what the user would see. The test fails at its end if
// the page threw an exception or wrote an error to the console; it is
// skipped on a machine without a browser (and fails under CI=true).
func Example() {
	testCounter := func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `<p id="n">0</p><button onclick="n.textContent++">+1</button>`)
		}))
		defer srv.Close()

		b := browsertest.Start(t)
		p := b.NewPage(t, "counter")
		p.Navigate(srv.URL)
		p.Click("button")
		p.WaitFor("the count to be 1", `document.getElementById('n').textContent === '1'`)
	}
	_ = testCounter // run by `go test` as func TestCounter(t *testing.T)
}
