package redisbroker

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseID(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"0-0", true},
		{"1796216658957-1796216658957", true},
		{"1-2", true},
		{"", false},
		{"1", false},
		{"-1", false},
		{"1-", false},
		{"01-2", false},
		{"1-02", false},
		{"1-2-3", false},
		{"+1-2", false},
		{"1 -2", false},
		{"18446744073709551616-1", false}, // overflows
		{"4398046511104-1", false},        // 2^42 ms: beyond what a Seq holds
	} {
		id, ok := parseID(tc.in)
		if ok != tc.ok {
			t.Errorf("parseID(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			continue
		}
		if ok && id.String() != tc.in {
			t.Errorf("parseID(%q).String() = %q", tc.in, id.String())
		}
	}
}

func TestSeqFollowsIDs(t *testing.T) {
	ids := []streamID{{1, 1}, {1, 2}, {1, 1<<seqBits - 1}, {2, 1 << seqBits}, {2, 1<<seqBits + 1}, {3, 0}, {1796216658957, 1796216658957}}
	for i := 1; i < len(ids); i++ {
		if !ids[i-1].less(ids[i]) || ids[i-1].seq() >= ids[i].seq() {
			t.Errorf("%v < %v, seq %d, %d", ids[i-1], ids[i], ids[i-1].seq(), ids[i].seq())
		}
	}
}

func TestDecodeLive(t *testing.T) {
	e, err := decodeLive("5-7 3 msgdata with spaces")
	if err != nil || e.id != (streamID{5, 7}) || e.event != "msg" || e.data != "data with spaces" {
		t.Fatalf("decodeLive = %+v, %v", e, err)
	}
	e, err = decodeLive("5-8 0 ")
	if err != nil || e.event != "" || e.data != "" {
		t.Fatalf("empty message: %+v, %v", e, err)
	}
	for _, bad := range []string{"", "5-7", "5-7 3", "5-7 4 msg", "x-7 0 d", "5-7 -1 d", "5-7 01 d"} {
		if _, err := decodeLive(bad); err == nil || !strings.Contains(err.Error(), "malformed live message") {
			t.Errorf("decodeLive(%q) = %v, want a malformed-message error", bad, err)
		}
	}
}

// FuzzDecodeLive checks that any payload decodes to an entry or an error,
// and that what publishScript would publish decodes back.
func FuzzDecodeLive(f *testing.F) {
	f.Add("5-7 3 msgdata", "", "")
	f.Add("1-1 0 ", "ev", "da ta")
	f.Add("1796216658957-1796216658957 99999999999999999999 x", "a b", "\n")
	f.Fuzz(func(t *testing.T, payload, event, data string) {
		if e, err := decodeLive(payload); err == nil {
			if len(e.event)+len(e.data) > len(payload) {
				t.Fatalf("decoded more than the payload: %+v", e)
			}
		}
		id := streamID{1796216658957, 42}
		e, err := decodeLive(id.String() + " " + strconv.Itoa(len(event)) + " " + event + data)
		if err != nil || e.id != id || e.event != event || e.data != data {
			t.Fatalf("round trip of %q, %q: %+v, %v", event, data, e, err)
		}
	})
}
