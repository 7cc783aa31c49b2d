package frame

import (
	"math"
	"testing"
)

// TestFrameLength checks the largest payload Encode can frame without
// allocating 4 GiB to try it.
func TestFrameLength(t *testing.T) {
	if got, err := frameLength(0); got != 4 || err != nil {
		t.Fatalf("frameLength(0) = %d, %v", got, err)
	}
	if math.MaxInt < math.MaxUint32 {
		t.Skip("int cannot hold a payload too large for a frame")
	}
	big := uint64(math.MaxUint32 - 4)
	if got, err := frameLength(int(big)); got != math.MaxUint32 || err != nil {
		t.Fatalf("frameLength(MaxUint32-4) = %d, %v", got, err)
	}
	for _, size := range []uint64{big + 1, big + 5, 1 << 40} {
		if _, err := frameLength(int(size)); err == nil {
			t.Fatalf("frameLength(%d) accepted", size)
		}
	}
	_, err := frameLength(int(big + 1))
	const want = "frame: payload of 4294967292 bytes does not fit in a frame (at most 4294967291)"
	if err.Error() != want {
		t.Fatalf("err = %q, want %q", err, want)
	}
}
