package loadgen_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/workerman-go/workerman/bench/loadgen"
)

// ExampleRunH2 holds four event streams over two cleartext HTTP/2
// connections (h2c) to a net/http server, then stops once they are up.
func ExampleRunH2() {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := loadgen.RunH2(ctx, loadgen.H2Config{
		Target:   srv.Listener.Addr().String(),
		Conns:    2,
		Streams:  4,
		Duration: time.Minute,
		OnReady:  func(conns, streams int) { cancel() }, // stop as soon as they are up
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.OK, res.Established, res.Streams)
	// Output: true 2 4
}
