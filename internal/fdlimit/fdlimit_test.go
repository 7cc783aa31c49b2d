package fdlimit

import "testing"

func TestHeadroomAndCap(t *testing.T) {
	for _, tc := range []struct{ limit, headroom, cap int }{
		{64, 16, 48},
		{1024, 64, 960},
		{20000, 256, 19744},
		{1 << 20, 256, 1<<20 - 256},
		{10, 16, 1}, // absurdly low limits still allow one connection
	} {
		if h := Headroom(tc.limit); h != tc.headroom {
			t.Errorf("Headroom(%d) = %d, want %d", tc.limit, h, tc.headroom)
		}
		if c := DefaultCap(tc.limit); c != tc.cap {
			t.Errorf("DefaultCap(%d) = %d, want %d", tc.limit, c, tc.cap)
		}
	}
}

func TestLimitReadsTheProcessLimit(t *testing.T) {
	n, err := Limit()
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Fatalf("Limit() = %d", n)
	}
}
