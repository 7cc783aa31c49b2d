package main

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/json-protocol/jsonproto"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols"
)

const testTimeout = testutil.Timeout

func startCalculator(t *testing.T) string {
	t.Helper()
	w := newCalculator("127.0.0.1:0")
	w.Count = 1
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		if err := w.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	return w.Addr()
}

// client talks to the calculator with the protocol's own codec.
type client struct {
	t     *testing.T
	conn  net.Conn
	codec protocols.Codec[map[string]any]
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(testTimeout))
	t.Cleanup(func() { conn.Close() })
	return &client{t: t, conn: conn, codec: jsonproto.Protocol[map[string]any]().NewCodec(protocols.Limits{})}
}

func (c *client) send(msg any) {
	c.t.Helper()
	wire, err := c.codec.Encode(nil, msg)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.conn.Write(wire); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) read() (map[string]any, error) {
	header := make([]byte, jsonproto.HeaderSize)
	if _, err := io.ReadFull(c.conn, header); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(header))
	if _, err := io.ReadFull(c.conn, body); err != nil {
		return nil, err
	}
	msg, _, _, err := c.codec.Decode(append(header, body...))
	return msg, err
}

func TestCalculator(t *testing.T) {
	c := dial(t, startCalculator(t))
	for _, tc := range []struct {
		req  any
		want map[string]any
	}{
		{Request{Op: "add", A: 1, B: 2}, map[string]any{"result": 3.0}},
		{`{"op":"sub","a":1,"b":2}`, map[string]any{"result": -1.0}},
		{map[string]any{"op": "mul", "a": 6, "b": 7}, map[string]any{"result": 42.0}},
		{Request{Op: "div", A: 1, B: 4}, map[string]any{"result": 0.25}},
		{Request{Op: "div", A: 1}, map[string]any{"error": "division by zero"}},
		{Request{Op: "mul", A: 1e308, B: 10}, map[string]any{"error": "result out of range"}},
		{`{"op":"pow","extra":[1,2]}`, map[string]any{"error": `unknown op "pow": want add, sub, mul or div`}},
	} {
		c.send(tc.req)
		got, err := c.read()
		if err != nil {
			t.Fatalf("%v: %v", tc.req, err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v: got %v, want %v", tc.req, got, tc.want)
		}
	}
}

func TestRequestsInOneWrite(t *testing.T) {
	c := dial(t, startCalculator(t))
	var wire []byte
	for i := range 100 {
		wire, _ = c.codec.Encode(wire, Request{Op: "add", A: float64(i), B: 1})
	}
	if _, err := c.conn.Write(wire); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		got, err := c.read()
		if err != nil || got["result"] != float64(i+1) {
			t.Fatalf("reply %d: %v, %v", i, got, err)
		}
	}
}

func TestInvalidInputClosesTheConnection(t *testing.T) {
	addr := startCalculator(t)
	for name, wire := range map[string][]byte{
		"not JSON":            append([]byte{0, 0, 0, 5}, "hello"...),
		"not a request":       append([]byte{0, 0, 0, 2}, "[]"...),
		"length above 64 KiB": {0, 1, 0, 1},
		"length of 4 GiB - 1": {0xff, 0xff, 0xff, 0xff},
	} {
		c := dial(t, addr)
		if _, err := c.conn.Write(wire); err != nil {
			t.Fatal(err)
		}
		if msg, err := c.read(); !errors.Is(err, io.EOF) {
			t.Errorf("%s: got %v, %v; want the connection closed", name, msg, err)
		}
	}
}
