package frame_test

import (
	"fmt"

	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/protocols/frame"
)

func Example() {
	codec := frame.Protocol().NewCodec(protocols.Limits{MaxPackageSize: 1024})

	// Encode prefixes each payload with its length plus the 4 header bytes.
	wire, _ := codec.Encode(nil, "hello")
	wire, _ = codec.Encode(wire, []byte{0, 1, 2})
	// The header of a frame whose payload has not arrived yet.
	wire = append(wire, 0, 0, 0, 100)
	fmt.Printf("wire: % x\n", wire)

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
	fmt.Printf("waiting for more after: % x\n", wire)

	// A frame announcing more than MaxPackageSize is rejected from its header.
	_, _, _, err := codec.Decode([]byte{0, 0, 0x10, 0})
	fmt.Println("error:", err)

	// Output:
	// wire: 00 00 00 09 68 65 6c 6c 6f 00 00 00 07 00 01 02 00 00 00 64
	// message: "hello"
	// message: "\x00\x01\x02"
	// waiting for more after: 00 00 00 64
	// error: frame: announced payload of 4092 bytes exceeds MaxPackageSize 1024: package exceeds MaxPackageSize
}
