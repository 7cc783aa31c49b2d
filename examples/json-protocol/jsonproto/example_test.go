package jsonproto_test

import (
	"fmt"

	"github.com/workerman-go/workerman/examples/json-protocol/jsonproto"
	"github.com/workerman-go/workerman/protocols"
)

// The codec on its own, as the framework drives it: Encode appends messages
// to a buffer, Decode takes them off the front until it needs more bytes.
func Example() {
	type point struct {
		X, Y int
	}
	codec := jsonproto.Protocol[point]().NewCodec(protocols.Limits{MaxPackageSize: 64})

	wire, _ := codec.Encode(nil, point{1, 2})
	wire, _ = codec.Encode(wire, `{"X":3,"Y":4}`) // text is sent as is
	wire = append(wire, 0, 0, 0, 9, '{')          // a message not all here yet
	fmt.Printf("wire: %q\n", wire)

	for {
		p, n, _, err := codec.Decode(wire)
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		if n == 0 {
			break
		}
		fmt.Printf("message: %+v\n", p)
		wire = wire[n:]
	}
	fmt.Printf("waiting for more after: %q\n", wire)

	// A header announcing more than MaxPackageSize is refused by itself.
	_, _, _, err := codec.Decode([]byte{0, 0, 1, 0})
	fmt.Println("error:", err)

	// Output:
	// wire: "\x00\x00\x00\r{\"X\":1,\"Y\":2}\x00\x00\x00\r{\"X\":3,\"Y\":4}\x00\x00\x00\t{"
	// message: {X:1 Y:2}
	// message: {X:3 Y:4}
	// waiting for more after: "\x00\x00\x00\t{"
	// error: jsonproto: announced body of 256 bytes exceeds MaxPackageSize 64: package exceeds MaxPackageSize
}
