package tcp_test

import (
	"bytes"
	"fmt"

	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/protocols/tcp"
)

func Example() {
	codec := tcp.Protocol().NewCodec(protocols.Limits{})

	// Encode appends the bytes unchanged: there is no framing.
	wire, _ := codec.Encode(nil, "hello ")
	wire, _ = codec.Encode(wire, []byte("world"))

	// Decode hands over everything buffered as one message. The message
	// shares the connection's buffer: clone it to keep it after OnMessage.
	msg, n, _, _ := codec.Decode(wire)
	kept := bytes.Clone(msg)
	fmt.Printf("message: %q, consumed %d of %d bytes\n", kept, n, len(wire))

	// Nothing buffered: nothing to deliver.
	_, n, _, _ = codec.Decode(nil)
	fmt.Println("empty buffer consumed:", n)

	// Output:
	// message: "hello world", consumed 11 of 11 bytes
	// empty buffer consumed: 0
}
