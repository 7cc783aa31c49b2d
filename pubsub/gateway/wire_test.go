package gateway

import (
	"errors"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/pubsub"
)

func TestEncodeDecode(t *testing.T) {
	for _, tc := range []struct {
		payload string
		exclude []string
	}{
		{"hello", nil},
		{"", nil},
		{"multi\nline\n", []string{"a-1"}},
		{"x", []string{"a-1", "b-2", "c-3"}},
		{"many", strings.Split("a,b,c,d,e,f,g,h,i,j", ",")}, // a set
	} {
		m := encodeData(tc.payload, tc.exclude)
		d, err := decode(&m)
		if err != nil {
			t.Fatalf("%q %v: %v", tc.payload, tc.exclude, err)
		}
		if d.kind != kindData || d.payload != tc.payload {
			t.Fatalf("%q %v: decoded %+v", tc.payload, tc.exclude, d)
		}
		for _, id := range tc.exclude {
			if !d.excludes(id) {
				t.Fatalf("%q %v: %q not excluded", tc.payload, tc.exclude, id)
			}
		}
		if d.excludes("other") || d.excludes("") {
			t.Fatalf("%q %v: excludes too much", tc.payload, tc.exclude)
		}
	}
	for _, final := range [][]string{nil, {""}, {"bye"}} {
		m := encodeClose(final)
		d, err := decode(&m)
		if err != nil || d.kind != kindClose || d.final != (len(final) == 1) || d.final && d.payload != final[0] {
			t.Fatalf("close %q: %+v, %v", final, d, err)
		}
	}
}

func TestDecodeBounds(t *testing.T) {
	ids := make([]string, MaxExclude)
	for i := range ids {
		ids[i] = strings.Repeat("x", MaxClientIDLen)
	}
	m := encodeData("p", ids) // the largest valid list
	if d, err := decode(&m); err != nil || d.payload != "p" {
		t.Fatalf("the largest list: %v", err)
	}
	m = encodeData("p", append(ids, "y"))
	if _, err := decode(&m); !errors.Is(err, ErrMalformed) {
		t.Fatalf("one id too many: %v", err)
	}
	m = pubsub.Message{Event: evExclude, Data: strings.Repeat("a", maxExcludeHeader+1) + "\np"}
	if _, err := decode(&m); !errors.Is(err, ErrMalformed) {
		t.Fatalf("a list too long: %v", err)
	}
}

// FuzzDecode: any message decodes or fails with ErrMalformed, never
// panics; what decodes re-encodes to the same message.
func FuzzDecode(f *testing.F) {
	for _, m := range []pubsub.Message{
		{Data: "plain"},
		{Event: evExclude, Data: "a-1,b-2\npayload"},
		{Event: evExclude, Data: "a,b,c,d,e,f,g,h,i\n"},
		{Event: evExclude, Data: "\n"},
		{Event: evExclude, Data: "a,,b\nx"},
		{Event: evExclude, Data: "no newline"},
		{Event: evClose},
		{Event: evClose, Data: "=final"},
		{Event: evClose, Data: "x"},
		{Event: evBind, Data: "alice"},
		{Event: evJoin, Data: "\x00"},
		{Event: evLeave, Data: "room"},
		{Event: evUnbind, Data: ""},
		{Event: "gw:other", Data: "x"},
	} {
		f.Add(m.Event, m.Data)
	}
	f.Fuzz(func(t *testing.T, event, data string) {
		m := pubsub.Message{Event: event, Data: data}
		d, err := decode(&m)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		var again pubsub.Message
		switch d.kind {
		case kindData:
			var ids []string
			if d.exclude != "" {
				ids = strings.Split(d.exclude, ",")
				if len(ids) > MaxExclude {
					t.Fatalf("%d ids accepted", len(ids))
				}
				for _, id := range ids {
					if checkClientID(id) != nil || !d.excludes(id) {
						t.Fatalf("id %q: accepted but invalid, or not excluded", id)
					}
				}
			}
			again = encodeData(d.payload, ids)
		case kindClose:
			var final []string
			if d.final {
				final = []string{d.payload}
			}
			again = encodeClose(final)
		default:
			if checkName("name", d.arg) != nil {
				t.Fatalf("name %q accepted", d.arg)
			}
			again = pubsub.Message{Event: event, Data: d.arg}
		}
		if again.Event != m.Event || again.Data != m.Data {
			t.Fatalf("%+v decoded as %+v re-encodes as %+v", m, d, again)
		}
	})
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"a", "alice@example.com", "用户", strings.Repeat("x", MaxNameLen), "a b,c:d"} {
		if err := checkName("uid", ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", strings.Repeat("x", MaxNameLen+1), "a\nb", "a\x00", "\xff", "del\x7f"} {
		if err := checkName("uid", bad); !errors.Is(err, ErrInvalidName) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
