package http

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/workerman-go/workerman/connection"
)

// smallFile is the size up to which a file is read whole and sent with its
// head in one piece; larger files are streamed.
const smallFile = 64 << 10

// ServeFile answers req on c with the file name, as Workerman's
// Response::withFile does, and more:
//
//   - Content-Type from the extension (application/octet-stream when
//     unknown), Last-Modified, Accept-Ranges;
//   - the preconditions of RFC 9110 §13, evaluated in the order of §13.2.2:
//     If-Match (412 unless "*": files have no entity tag) or else
//     If-Unmodified-Since (412 when the file changed since), then
//     If-None-Match ("*" answered 304 on GET and HEAD, 412 otherwise) or
//     else If-Modified-Since (on GET and HEAD, 304 when the file has not
//     changed since);
//   - a single byte range ("Range: bytes=0-99", "bytes=100-", "bytes=-100")
//     on GET answered 206 with Content-Range, an unsatisfiable one 416;
//     several ranges, or a Range with a stale If-Range date, get the whole
//     file (a server may ignore Range);
//   - HEAD gets the head only.
//
// A large file is never read whole: it is streamed in pieces of 64 KiB as
// the connection's send buffer drains (connection.Conn.WhenWritable), so a
// slow client holds at most about MaxSendBufferSize of it in memory. The
// file is read on the connection's event loop (disk reads of files in the
// page cache are fast; a slow disk slows that loop).
//
// A missing file is answered 404, one that cannot be read 403, a directory
// 404 (see FileServer for folders). A file that cannot be opened because
// the process or the system is out of file descriptors (EMFILE, ENFILE) is
// answered 503 Service Unavailable with "Retry-After: 1": the condition
// passes, and the file may well exist. The error is returned too, for
// logging.
func ServeFile(c *connection.Conn, req *Request, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return sendFileError(c, err)
	}
	return serveOpenFile(c, req, f, path.Ext(name))
}

// sendFileError answers an error opening a file: 404 when it does not exist,
// 503 with Retry-After when the process or the system is out of file
// descriptors (a passing condition, which says nothing of the file), 403
// otherwise.
func sendFileError(c *connection.Conn, err error) error {
	resp := NewResponse(403, "")
	switch {
	case errors.Is(err, fs.ErrNotExist):
		resp.Status = 404
	case errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE):
		resp.Status = 503
		resp.Header.Add("Retry-After", "1")
	}
	resp.Header.Add("Content-Type", "text/plain; charset=utf-8")
	resp.Body = []byte(StatusText(resp.Status))
	_ = c.Send(resp)
	return fmt.Errorf("http: serving a file: %w", err)
}

// serveOpenFile answers req with f, which it takes over (closes). f may be
// any fs.File; reading from an offset needs io.Seeker or io.ReaderAt (as
// *os.File and embed.FS files have).
func serveOpenFile(c *connection.Conn, req *Request, f fs.File, ext string) error {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return sendFileError(c, err)
	}
	if fi.IsDir() {
		f.Close()
		return sendFileError(c, fmt.Errorf("%s is a directory: %w", fi.Name(), fs.ErrNotExist))
	}
	size := fi.Size()
	modified := fi.ModTime().UTC().Truncate(time.Second)

	resp := NewResponse(200, "")
	ctype := mime.TypeByExtension(ext)
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	resp.Header.Add("Content-Type", ctype)
	if !fi.ModTime().IsZero() {
		resp.Header.Add("Last-Modified", modified.Format(timeFormat))
	}
	resp.Header.Add("Accept-Ranges", "bytes")

	switch precondition(req, modified) {
	case 304:
		f.Close()
		resp.Status = 304
		resp.Header.Del("Content-Type")
		return c.Send(resp)
	case 412:
		f.Close()
		return c.Send(NewResponse(412, StatusText(412)).WithHeader("Content-Type", "text/plain; charset=utf-8"))
	}
	offset, length := int64(0), size
	if req.Method == "GET" && rangeApplies(req, modified) {
		start, n, ok, satisfiable := parseRange(req.Header.Get("Range"), size)
		switch {
		case ok && !satisfiable:
			f.Close()
			resp.Status = 416
			resp.Header.Add("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
			resp.Body = []byte(StatusText(416))
			resp.Header.Set("Content-Type", "text/plain; charset=utf-8")
			return c.Send(resp)
		case ok:
			offset, length = start, n
			resp.Status = 206
			resp.Header.Add("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, start+n-1, size))
		}
	}
	resp.Header.Add("Content-Length", strconv.FormatInt(length, 10))
	if req.Method == "HEAD" || length == 0 {
		f.Close()
		return c.Send(resp)
	}
	if err := seek(f, offset); err != nil {
		f.Close()
		return sendFileError(c, err)
	}
	if length <= smallFile {
		defer f.Close()
		body := make([]byte, length)
		if _, err := io.ReadFull(f, body); err != nil {
			return sendFileError(c, err)
		}
		resp.Body = body
		return c.Send(resp)
	}
	resp.bodyCloser = f // closed by the codec when the body is complete or the connection closes
	if err := c.Send(resp); err != nil {
		f.Close()
		return err
	}
	p := &filePump{c: c, f: f, remaining: length}
	c.WhenWritable(p.run)
	return nil
}

// seek moves f to offset.
func seek(f fs.File, offset int64) error {
	if offset == 0 {
		return nil
	}
	if s, ok := f.(io.Seeker); ok {
		_, err := s.Seek(offset, io.SeekStart)
		return err
	}
	_, err := io.CopyN(io.Discard, f, offset)
	return err
}

// filePump streams a file's body on the connection's loop, a piece at a
// time, whenever the send buffer has room.
type filePump struct {
	c         *connection.Conn
	f         io.Reader
	remaining int64
}

var pumpBuffers = sync.Pool{New: func() any { b := make([]byte, smallFile); return &b }}

func (p *filePump) run() {
	bp := pumpBuffers.Get().(*[]byte)
	defer pumpBuffers.Put(bp)
	buf := *bp
	limit := p.c.MaxSendBufferSize() / 2
	for p.remaining > 0 {
		if p.c.SendBufferSize() > limit {
			p.c.WhenWritable(p.run)
			return
		}
		n, err := io.ReadFull(p.f, buf[:min(int64(len(buf)), p.remaining)])
		if err != nil {
			// The length is announced: a short body can only be ended by
			// closing the connection.
			slog.Error("http: reading a file being served; closing the connection", "conn", p.c.ID(), "err", err)
			p.c.Destroy()
			return
		}
		p.remaining -= int64(n)
		if err := p.c.Send(buf[:n]); err != nil {
			return // closed meanwhile
		}
	}
}

// precondition evaluates the conditional fields of req against a file last
// modified at modified (zero when unknown), in the order of RFC 9110
// §13.2.2, and returns the status that answers the request instead of the
// file (412 or 304), or 0. Files have no entity tag here: If-Match holds
// only for "*", If-None-Match fails only for "*".
//
//  1. If-Match: false (a list without "*") gives 412.
//  2. Without If-Match, If-Unmodified-Since: a valid date before the
//     modification time gives 412.
//  3. If-None-Match: "*" gives 304 for GET and HEAD, 412 otherwise; a list
//     of entity tags matches nothing and the request goes on.
//  4. Without If-None-Match, on GET and HEAD, If-Modified-Since: a valid
//     date not before the modification time gives 304.
func precondition(req *Request, modified time.Time) int {
	get := req.Method == "GET" || req.Method == "HEAD"
	if present, star := listField(req.Header, "If-Match"); present {
		if !star {
			return 412
		}
	} else if v, ok := req.Header.Lookup("If-Unmodified-Since"); ok && !modified.IsZero() {
		if t, err := parseTime(v); err == nil && modified.After(t) {
			return 412
		}
	}
	if present, star := listField(req.Header, "If-None-Match"); present {
		switch {
		case !star:
			return 0
		case get:
			return 304
		default:
			return 412
		}
	}
	if !get || modified.IsZero() {
		return 0
	}
	if v, ok := req.Header.Lookup("If-Modified-Since"); ok {
		if t, err := parseTime(v); err == nil && !modified.After(t) {
			return 304
		}
	}
	return 0
}

// listField reports whether h has a field called name, and whether one of
// its list elements is "*".
func listField(h Header, name string) (present, star bool) {
	for i := range h {
		if !equalFold(h[i].Name, name) {
			continue
		}
		present = true
		for e, rest, ok := nextElement(h[i].Value); ok; e, rest, ok = nextElement(rest) {
			if e == "*" {
				return true, true
			}
		}
	}
	return present, false
}

// rangeApplies reports whether a Range field may be honoured: there is no
// If-Range, or it holds a date equal to the file's modification time.
func rangeApplies(req *Request, modified time.Time) bool {
	v, ok := req.Header.Lookup("If-Range")
	if !ok {
		return true
	}
	t, err := parseTime(v)
	return err == nil && t.Equal(modified)
}

// parseTime parses an HTTP date in any of the three formats RFC 9110 §5.6.7
// says a recipient must accept: IMF-fixdate, RFC 850 and asctime.
func parseTime(v string) (time.Time, error) {
	for _, layout := range []string{timeFormat, "Monday, 02-Jan-06 15:04:05 GMT", "Mon Jan _2 15:04:05 2006"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("http: invalid date %q", v)
}

// parseRange interprets a Range field value for a representation of size
// bytes (RFC 9110 §14.1.2). ok reports a single, syntactically valid byte
// range; satisfiable whether it overlaps the representation, and then start
// and n are the bytes to send. Several ranges, another unit or bad syntax
// give ok == false: the whole representation is sent.
func parseRange(v string, size int64) (start, n int64, ok, satisfiable bool) {
	spec, found := strings.CutPrefix(v, "bytes=")
	if !found || strings.IndexByte(spec, ',') >= 0 {
		return 0, 0, false, false
	}
	first, last, found := strings.Cut(trimOWS(spec), "-")
	if !found {
		return 0, 0, false, false
	}
	if first == "" { // suffix: the last n bytes
		k, err := parseDigits(last)
		if err != nil {
			return 0, 0, false, false
		}
		if k == 0 || size == 0 {
			return 0, 0, true, false
		}
		k = min(k, size)
		return size - k, k, true, true
	}
	a, err := parseDigits(first)
	if err != nil {
		return 0, 0, false, false
	}
	b := size - 1
	if last != "" {
		if b, err = parseDigits(last); err != nil || b < a {
			return 0, 0, false, false
		}
	}
	if a >= size {
		return 0, 0, true, false
	}
	b = min(b, size-1)
	return a, b - a + 1, true, true
}

// FileServer serves the files of one folder, or of an fs.FS: what an example
// uses for its page, and what Workerman's static file support does. Each
// file is answered as ServeFile answers it.
//
// Request paths are cleaned, so ".." cannot climb out of the folder, and
// NewFileServer resolves them inside it with os.Root, so a symbolic link
// cannot lead out of it either (with NewFSServer, the fs.FS decides; an
// embed.FS has no links). Names with a segment starting with '.' (".git",
// ".env"), a '\' or a NUL are not served (404). A folder is served
// through its index.html; a folder requested without its final '/' is
// redirected (301) to it, so that relative links in the page work. The
// Location of that redirect is built from the cleaned path, percent-encoded,
// never from the target as sent: it is always a path on this host (never
// "//host/" or "/\host/", which a browser would follow to another host),
// followed by the query as sent. Only GET and HEAD are answered; other
// methods get 405.
type FileServer struct {
	fsys  fs.FS
	close func() error
}

// NewFileServer returns a FileServer for the folder dir.
func NewFileServer(dir string) (*FileServer, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("http: file server: %w", err)
	}
	return &FileServer{fsys: root.FS(), close: root.Close}, nil
}

// NewFSServer returns a FileServer for the files of fsys, for example an
// embed.FS holding a program's pages (so it runs from any folder).
func NewFSServer(fsys fs.FS) *FileServer {
	return &FileServer{fsys: fsys, close: func() error { return nil }}
}

// Close releases the folder.
func (s *FileServer) Close() error { return s.close() }

// Serve answers req with the file its path names (see FileServer). The
// returned error says why a file was not served (404, 403, 405, 503), for
// logging; the client has been answered either way.
func (s *FileServer) Serve(c *connection.Conn, req *Request) error {
	if req.Method != "GET" && req.Method != "HEAD" {
		_ = c.Send(NewResponse(405, StatusText(405)).WithHeader("Allow", "GET, HEAD"))
		return fmt.Errorf("http: file server: method %s not allowed", req.Method)
	}
	p := req.Path
	if !strings.HasPrefix(p, "/") || strings.IndexByte(p, 0) >= 0 || strings.IndexByte(p, '\\') >= 0 {
		return sendFileError(c, fmt.Errorf("path %q: %w", p, fs.ErrNotExist))
	}
	clean := path.Clean(p)
	for _, seg := range strings.Split(clean, "/") {
		if strings.HasPrefix(seg, ".") {
			return sendFileError(c, fmt.Errorf("path %q has a hidden segment: %w", p, fs.ErrNotExist))
		}
	}
	name := strings.TrimPrefix(clean, "/")
	if name == "" {
		name = "."
	}
	f, err := s.fsys.Open(name)
	if err != nil {
		return sendFileError(c, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return sendFileError(c, err)
	}
	if fi.IsDir() {
		f.Close()
		if !strings.HasSuffix(p, "/") {
			return c.Send(NewResponse(301, "").WithHeader("Location", folderLocation(clean, req.RawQuery)))
		}
		name = path.Join(name, "index.html")
		if f, err = s.fsys.Open(name); err != nil {
			return sendFileError(c, err)
		}
	}
	return serveOpenFile(c, req, f, path.Ext(name))
}

// folderLocation is the Location of the redirect to a folder: its cleaned
// path (never the raw target, which may start with "//" and name another
// host) with a final '/', every byte that is not a path character
// percent-encoded, then the query as sent. It starts with a single '/'
// followed by a path character, so every browser reads it as a path on
// this host: path.Clean leaves no "//", and '\', '%', controls, spaces and
// non-ASCII bytes are encoded.
func folderLocation(clean, rawQuery string) string {
	clean = path.Clean("/" + clean)
	b := make([]byte, 0, len(clean)+len(rawQuery)+8)
	for i := 0; i < len(clean); i++ {
		c := clean[i]
		if c == '/' || c == ':' || c == '@' || charClass[c]&cRegName != 0 {
			b = append(b, c)
			continue
		}
		const hexDigits = "0123456789ABCDEF"
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&0xf])
	}
	if b[len(b)-1] != '/' {
		b = append(b, '/')
	}
	if rawQuery != "" {
		b = append(b, '?')
		b = append(b, rawQuery...)
	}
	return string(b)
}
