package connection_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/worker"
)

// lineProto is a tiny line protocol whose decoder rejects the line "bad"
// with a reply, and the line "fatal" without one.
type lineProto struct{}

func (lineProto) Scheme() string { return "lines" }
func (lineProto) NewCodec(protocols.Limits) protocols.Codec[string] {
	return lineCodec{}
}

type lineCodec struct{}

type badLine struct{}

func (badLine) Error() string { return "bad line" }
func (badLine) Reply() []byte { return []byte("ERR bad line\n") }

func (lineCodec) Decode(in []byte) (string, int, bool, error) {
	i := bytes.IndexByte(in, '\n')
	if i < 0 {
		return "", 0, false, nil
	}
	switch line := string(in[:i]); line {
	case "bad":
		return "", 0, false, fmt.Errorf("decoding: %w", badLine{})
	case "fatal":
		return "", 0, false, fmt.Errorf("decoding: fatal line")
	default:
		return line, i + 1, false, nil
	}
}

func (lineCodec) Encode(dst []byte, msg any) ([]byte, error) {
	return append(append(dst, fmt.Sprint(msg)...), '\n'), nil
}

func TestRejectionRepliesThenCloses(t *testing.T) {
	errs := make(chan error, 4)
	w := worker.New("lines://127.0.0.1:0", protocols.Protocol[string](lineProto{}))
	w.OnMessage = func(c *connection.Conn, line string) { c.Send("ok " + line) }
	w.OnError = func(c *connection.Conn, err error) { errs <- err }
	addr := start(t, w)

	c := dial(t, addr)
	_, _ = c.Write([]byte("one\nbad\nnever\n"))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "ok one\nERR bad line\n" {
		t.Fatalf("got %q", got)
	}
	if err := <-errs; !strings.Contains(err.Error(), "bad line") {
		t.Fatalf("OnError got %v", err)
	}

	c = dial(t, addr)
	_, _ = c.Write([]byte("fatal\n"))
	if got, _ := io.ReadAll(c); len(got) != 0 {
		t.Fatalf("a plain error sent %q", got)
	}
	if err := <-errs; !strings.Contains(err.Error(), "fatal") {
		t.Fatalf("OnError got %v", err)
	}
}
