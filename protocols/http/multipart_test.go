package http_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime/multipart"
	nethttp "net/http"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
)

// A 5 MiB multipart upload: the file part is spilled to a temporary file
// (it is larger than the memory allowed), read back intact, and the
// temporary file is removed once the response is sent.
func TestMultipartUpload(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where mime/multipart spills
	addr := serve(t, http.Config{}, func(c *connection.Conn, r *http.Request) {
		form, err := r.MultipartForm(1 << 20)
		if err != nil {
			c.Send(http.NewResponse(400, err.Error()))
			return
		}
		fh := form.File["upload"][0]
		f, err := fh.Open()
		if err != nil {
			c.Send(http.NewResponse(500, err.Error()))
			return
		}
		defer f.Close()
		h := sha256.New()
		n, _ := io.Copy(h, f)
		c.Send(form.Value["title"][0] + " " + fh.Filename + " " + hex.EncodeToString(h.Sum(nil)) +
			" " + strconv.Itoa(len(spilledFiles(tmp))) + " " + strconv.FormatInt(n, 10))
	})

	data := bytes.Repeat([]byte("0123456789abcdef"), 5<<20/16)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("title", "holiday")
	fw, _ := mw.CreateFormFile("upload", "photo.jpg")
	fw.Write(data)
	mw.Close()
	client := &nethttp.Client{Timeout: testTimeout}
	defer client.CloseIdleConnections()
	resp, err := client.Post("http://"+addr+"/upload", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sum := sha256.Sum256(data)
	want := "holiday photo.jpg " + hex.EncodeToString(sum[:]) + " 1 " + strconv.Itoa(len(data))
	if resp.StatusCode != 200 || string(got) != want {
		t.Fatalf("got %d %q\nwant %q", resp.StatusCode, got, want)
	}
	testutil.Eventually(t, "no temporary file left after the response", func() bool {
		return len(spilledFiles(tmp)) == 0
	})
}

// spilledFiles lists the temporary files mime/multipart made in dir (named
// multipart-*; the directory may hold others, such as the engine's socket
// directory).
func spilledFiles(dir string) []string {
	names, _ := filepath.Glob(filepath.Join(dir, "multipart-*"))
	return names
}
