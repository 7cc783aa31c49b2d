// Command http-hello is a small web server on the http protocol: a static
// page, a hello endpoint, a JSON endpoint, a form, a file upload and a
// session counter, all on one worker.
//
//	go run ./examples/http-hello                       # http://127.0.0.1:8080/
//	go run ./examples/http-hello -listen 0.0.0.0:9000 start
package main

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"io/fs"
	"log/slog"
	"strconv"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/worker"
)

//go:embed public
var public embed.FS

func main() {
	newServer("127.0.0.1:8080")
	worker.RunAll()
}

// newServer returns the worker, listening on hostport once started.
func newServer(hostport string) *worker.Worker[*http.Request] {
	pages, err := fs.Sub(public, "public")
	if err != nil {
		panic(err) // the embedded folder is part of the program
	}
	files := http.NewFSServer(pages)

	w := worker.New("http://"+hostport, http.Protocol())
	w.Name = "http-hello"
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		switch r.Path {
		case "/hello":
			name := r.Query().Get("name")
			if name == "" {
				name = "world"
			}
			c.Send(http.NewResponse(200, "Hello, "+name+"!\n").WithHeader("Content-Type", "text/plain; charset=utf-8"))
		case "/api/time":
			now := time.Now()
			body, _ := json.Marshal(map[string]any{"unix": now.Unix(), "rfc3339": now.Format(time.RFC3339), "conn": c.ID()})
			c.Send(http.NewResponse(200, string(body)).WithHeader("Content-Type", "application/json"))
		case "/form":
			postForm(c, r)
		case "/upload":
			upload(c, r)
		case "/visits":
			visits(c, r)
		default:
			if err := files.Serve(c, r); err != nil {
				slog.Debug("static file not served", "path", r.Path, "err", err)
			}
		}
	}
	return w
}

func postForm(c *connection.Conn, r *http.Request) {
	if r.Method != "POST" {
		c.Send(http.NewResponse(405, "use POST\n").WithHeader("Allow", "POST"))
		return
	}
	form, err := r.PostForm()
	if err != nil {
		c.Send(http.NewResponse(400, "bad form: "+err.Error()+"\n"))
		return
	}
	// Everything a client sent is escaped before it goes into HTML.
	c.Send(fmt.Sprintf("<p>title: <b>%s</b></p><p>comment: %s</p><p><a href=\"/\">back</a></p>",
		html.EscapeString(form.Get("title")), html.EscapeString(form.Get("comment"))))
}

func upload(c *connection.Conn, r *http.Request) {
	form, err := r.MultipartForm(1 << 20) // parts above 1 MiB go to temporary files, removed after the response
	if err != nil || len(form.File["file"]) == 0 {
		c.Send(http.NewResponse(400, "send a multipart form with a file field\n"))
		return
	}
	fh := form.File["file"][0]
	f, err := fh.Open()
	if err != nil {
		c.Send(http.NewResponse(500, err.Error()))
		return
	}
	defer f.Close()
	h := sha256.New()
	n, _ := io.Copy(h, f)
	c.Send(fmt.Sprintf("<p>%s: %d bytes, sha256 %s</p><p><a href=\"/\">back</a></p>",
		html.EscapeString(fh.Filename), n, hex.EncodeToString(h.Sum(nil))))
}

func visits(c *connection.Conn, r *http.Request) {
	s, err := r.Session()
	if err != nil {
		c.Send(http.NewResponse(500, err.Error()))
		return
	}
	v, _ := s.Get("visits")
	n, _ := strconv.Atoi(v)
	n++
	s.Set("visits", strconv.Itoa(n))
	c.Send(fmt.Sprintf("<p>visit number %d in this session</p><p><a href=\"/\">back</a></p>", n))
}
