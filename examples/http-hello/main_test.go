package main

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/internal/testutil"
)

const testTimeout = testutil.Timeout

func TestHTTPHello(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // session files and spilled uploads
	w := newServer("127.0.0.1:0")
	w.Count = 1
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		w.Stop(ctx)
	}()
	base := "http://" + w.Addr()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Timeout: testTimeout, Jar: jar}
	defer client.CloseIdleConnections()

	check := func(resp *http.Response, err error, status int, contains string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != status || !strings.Contains(string(body), contains) {
			t.Fatalf("%s: %d %q, want %d containing %q", resp.Request.URL, resp.StatusCode, body, status, contains)
		}
	}
	resp, err := client.Get(base + "/")
	check(resp, err, 200, "workerman-go says hello")
	resp, err = client.Get(base + "/style.css")
	check(resp, err, 200, "font-family")
	resp, err = client.Get(base + "/hello?name=Ada")
	check(resp, err, 200, "Hello, Ada!")
	resp, err = client.Get(base + "/api/time")
	check(resp, err, 200, `"unix":`)
	resp, err = client.PostForm(base+"/form", url.Values{"title": {"<script>"}, "comment": {"hi"}})
	check(resp, err, 200, "&lt;script&gt;")
	resp, err = client.Get(base + "/missing")
	check(resp, err, 404, "Not Found")

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "notes.txt")
	fw.Write(bytes.Repeat([]byte("x"), 2<<20))
	mw.Close()
	resp, err = client.Post(base+"/upload", mw.FormDataContentType(), &body)
	check(resp, err, 200, "notes.txt: 2097152 bytes")

	for _, want := range []string{"visit number 1", "visit number 2", "visit number 3"} {
		resp, err = client.Get(base + "/visits")
		check(resp, err, 200, want)
	}
}
