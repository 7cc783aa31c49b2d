package text_test

import (
	"fmt"

	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/protocols/text"
)

func Example() {
	codec := text.Protocol().NewCodec(protocols.Limits{MaxPackageSize: 1024})

	// Encode appends each message and a "\n".
	wire, _ := codec.Encode(nil, "hello")
	wire, _ = codec.Encode(wire, []byte("world"))
	// A peer may end its lines with "\r\n", and a line may be incomplete.
	wire = append(wire, "from telnet\r\npart"...)
	fmt.Printf("wire: %q\n", wire)

	// Decode as the framework does: until it needs more bytes.
	for {
		msg, n, _, err := codec.Decode(wire)
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		if n == 0 {
			break
		}
		fmt.Printf("message: %q\n", msg)
		wire = wire[n:]
	}
	fmt.Printf("waiting for more after: %q\n", wire)

	// Output:
	// wire: "hello\nworld\nfrom telnet\r\npart"
	// message: "hello"
	// message: "world"
	// message: "from telnet"
	// waiting for more after: "part"
}
