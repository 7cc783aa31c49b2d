// Command json-protocol is a calculator served over a protocol of its own:
// length-prefixed JSON. The protocol is package jsonproto, next to this file;
// it is the thing to read to learn how to write a protocol for workerman-go.
//
//	go run ./examples/json-protocol -listen 127.0.0.1:2348
//
// A request is a JSON object naming an operation (add, sub, mul or div) and
// two numbers; the reply holds the result, or an error:
//
//	{"op":"add","a":1,"b":2}  →  {"result":3}
//	{"op":"div","a":1,"b":0}  →  {"error":"division by zero"}
//
// On the wire, each message is the length of its JSON text as 4 big-endian
// bytes, then the text. The request above is 24 bytes long (octal 030), so
// from a shell, with netcat-openbsd (tail drops the reply's 4-byte header):
//
//	printf '\0\0\0\030{"op":"add","a":1,"b":2}' | nc -q1 127.0.0.1 2348 | tail -c +5
//
// From Go, the client can use the protocol's own codec:
//
//	codec := jsonproto.Protocol[map[string]any]().NewCodec(protocols.Limits{})
//	conn, err := net.Dial("tcp", "127.0.0.1:2348")
//	...
//	req, _ := codec.Encode(nil, map[string]any{"op": "mul", "a": 6, "b": 7})
//	conn.Write(req)
//	header := make([]byte, jsonproto.HeaderSize)
//	io.ReadFull(conn, header)
//	body := make([]byte, binary.BigEndian.Uint32(header))
//	io.ReadFull(conn, body)
//	reply, _, _, err := codec.Decode(append(header, body...)) // map[result:42]
//
// Input that is not a valid message (not a JSON request, or a length above
// the Worker's 64 KiB MaxPackageSize) is reported through OnError and closes
// the connection.
package main

import (
	"errors"
	"fmt"
	"log"
	"math"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/examples/json-protocol/jsonproto"
	"github.com/workerman-go/workerman/worker"
)

// Request is what a client sends. Fields the client leaves out are zero, and
// fields this struct does not have are ignored (encoding/json's rules).
type Request struct {
	Op string  `json:"op"`
	A  float64 `json:"a"`
	B  float64 `json:"b"`
}

// Result is the reply to a request that could be computed.
type Result struct {
	Result float64 `json:"result"`
}

// Failure is the reply to a request that could not.
type Failure struct {
	Error string `json:"error"`
}

func calculate(r Request) (float64, error) {
	var v float64
	switch r.Op {
	case "add":
		v = r.A + r.B
	case "sub":
		v = r.A - r.B
	case "mul":
		v = r.A * r.B
	case "div":
		if r.B == 0 {
			return 0, errors.New("division by zero")
		}
		v = r.A / r.B
	default:
		return 0, fmt.Errorf("unknown op %q: want add, sub, mul or div", r.Op)
	}
	// JSON has no infinities: Send would fail to encode one.
	if math.IsInf(v, 0) {
		return 0, errors.New("result out of range")
	}
	return v, nil
}

// newCalculator returns the calculator Worker for addr (host:port), not
// started yet.
func newCalculator(addr string) *worker.Worker[Request] {
	// The scheme names the protocol, and the protocol fixes the type of the
	// messages OnMessage receives: Request.
	w := worker.New("json://"+addr, jsonproto.Protocol[Request]())
	w.Name = "json-calculator"
	// Requests are tiny. Without a limit of its own, a Worker accepts
	// messages of up to 10 MiB, and decoding JSON takes several times its
	// size in memory.
	w.MaxPackageSize = 64 << 10
	w.OnMessage = func(c *connection.Conn, req Request) {
		// Send takes any value encoding/json can marshal. Its error (a full
		// send buffer, a closed connection) also reaches OnError, so it is
		// not handled twice here.
		if v, err := calculate(req); err != nil {
			_ = c.Send(Failure{Error: err.Error()})
		} else {
			_ = c.Send(Result{Result: v})
		}
	}
	w.OnError = func(c *connection.Conn, err error) {
		log.Printf("connection %d from %s: %v", c.ID(), c.RemoteAddr(), err)
	}
	return w
}

func main() {
	newCalculator("0.0.0.0:2348")
	worker.RunAll()
}
