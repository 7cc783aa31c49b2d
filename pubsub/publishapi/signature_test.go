package publishapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	testSecret = []byte("s3cr3t")
	testNow    = time.Unix(1_700_000_000, 0)
)

// Sign matches an HMAC-SHA256 computed independently, over "t.body".
func TestSign(t *testing.T) {
	body := []byte(`{"topic":"news","data":"hello"}`)
	got := Sign(testSecret, body, testNow)
	h := hmac.New(sha256.New, testSecret)
	h.Write([]byte("1700000000." + string(body)))
	want := "t=1700000000,v1=" + hex.EncodeToString(h.Sum(nil))
	if got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	// The value printed by openssl dgst -sha256 -hmac s3cr3t for the same
	// input, fixed here so that a change of the scheme shows.
	const openssl = "t=1700000000,v1=775bcf7019a8c4ab5e30b49befe1219149e48ee16c82e456049cc2f810d0c52d"
	if got != openssl {
		t.Fatalf("Sign = %s, want what openssl computes: %s", got, openssl)
	}
	if err := verifySignature(got, body, [][]byte{testSecret}, testNow, DefaultTolerance); err != nil {
		t.Fatalf("verifying its own signature: %v", err)
	}
}

func TestParseSignature(t *testing.T) {
	mac := strings.Repeat("ab", 32)
	other := strings.Repeat("CD", 32)
	for _, tc := range []struct {
		header string
		unix   int64
		n      int    // v1 values
		err    string // "" if it parses
	}{
		{"t=1700000000,v1=" + mac, 1700000000, 1, ""},
		{" t=1700000000 ,\tv1=" + mac + " ", 1700000000, 1, ""},
		{"v1=" + mac + ",t=1700000000", 1700000000, 1, ""},
		{"t=1700000000,v1=" + mac + ",v1=" + other, 1700000000, 2, ""},
		{"t=1700000000,v0=whatever,v1=" + mac + ",scheme=x", 1700000000, 1, ""},
		{"t=0001700000000,v1=" + mac, 1700000000, 1, ""},
		{"", 0, 0, "an empty element"},
		{"t=1700000000", 0, 0, "no v1="},
		{"v1=" + mac, 0, 0, "no t="},
		{"t=1700000000,v1=" + mac + ",", 0, 0, "an empty element"},
		{"t=1700000000,,v1=" + mac, 0, 0, "an empty element"},
		{"t=1700000000,v1", 0, 0, `element "v1" is not key=value`},
		{"t=1700000000,t=1700000001,v1=" + mac, 0, 0, "t appears more than once"},
		{"t=-1,v1=" + mac, 0, 0, "not a Unix time"},
		{"t=1.5,v1=" + mac, 0, 0, "not a Unix time"},
		{"t=,v1=" + mac, 0, 0, "not a Unix time"},
		{"t=1234567890123456789,v1=" + mac, 0, 0, "not a Unix time"},
		{"t=1700000000,v1=abc", 0, 0, "v1 has 3 characters, want 64 hex digits"},
		{"t=1700000000,v1=" + strings.Repeat("zz", 32), 0, 0, "v1 is not hexadecimal"},
		{"t=1700000000" + strings.Repeat(",v1="+mac, 9), 0, 0, "more than 8 v1 signatures"},
		{"t=1" + strings.Repeat(",x=1", 16), 0, 0, "more than 16 elements"},
		{"t=1,x=" + strings.Repeat("y", 1100), 0, 0, "longer than 1024 bytes"},
		{"T=1700000000,V1=" + mac, 0, 0, "no t="}, // keys are case-sensitive
	} {
		sig, err := parseSignature(tc.header)
		if tc.err != "" {
			if !errors.Is(err, ErrMalformedSignature) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parse %q: %v, want an error with %q", tc.header, err, tc.err)
			}
			continue
		}
		if err != nil || sig.unix != tc.unix || len(sig.v1) != tc.n {
			t.Errorf("parse %q: %+v, %v; want t=%d and %d v1", tc.header, sig, err, tc.unix, tc.n)
		}
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"topic":"a","data":"b"}`)
	secrets := [][]byte{testSecret}
	for _, tc := range []struct {
		name   string
		header string
		body   []byte
		want   error
	}{
		{"good", Sign(testSecret, body, testNow), body, nil},
		{"within tolerance, behind", Sign(testSecret, body, testNow.Add(-DefaultTolerance)), body, nil},
		{"within tolerance, ahead", Sign(testSecret, body, testNow.Add(DefaultTolerance)), body, nil},
		{"too old", Sign(testSecret, body, testNow.Add(-DefaultTolerance-time.Second)), body, ErrStaleSignature},
		{"too new", Sign(testSecret, body, testNow.Add(DefaultTolerance+time.Second)), body, ErrStaleSignature},
		{"epoch", Sign(testSecret, body, time.Unix(0, 0)), body, ErrStaleSignature},
		{"far future", "t=999999999999999999,v1=" + strings.Repeat("0", 64), body, ErrStaleSignature},
		{"no header", "", body, ErrNoSignature},
		{"malformed", "garbage", body, ErrMalformedSignature},
		{"other secret", Sign([]byte("other"), body, testNow), body, ErrBadSignature},
		{"other body", Sign(testSecret, body, testNow), append(body, ' '), ErrBadSignature},
		{"empty body signed", Sign(testSecret, nil, testNow), body, ErrBadSignature},
		// The timestamp signed is the one sent, digits as they are: a
		// signature over "1700000000" does not pass with "01700000000".
		{"other timestamp text", "t=0" + Sign(testSecret, body, testNow)[2:], body, ErrBadSignature},
	} {
		err := verifySignature(tc.header, tc.body, secrets, testNow, DefaultTolerance)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if err != nil {
			want := hex.EncodeToString(func() []byte { m := computeMAC(testSecret, "1700000000", tc.body); return m[:] }())
			if strings.Contains(err.Error(), want) {
				t.Errorf("%s: the error %q leaks the expected signature", tc.name, err)
			}
		}
	}
	// Several secrets: any of them.
	if err := verifySignature(Sign([]byte("old"), body, testNow), body, [][]byte{testSecret, []byte("old")}, testNow, DefaultTolerance); err != nil {
		t.Fatalf("an old secret: %v", err)
	}
	// The skew is said, in both directions.
	err := verifySignature(Sign(testSecret, body, testNow.Add(-time.Hour)), body, secrets, testNow, DefaultTolerance)
	if err == nil || !strings.Contains(err.Error(), "1h0m0s behind") {
		t.Fatalf("stale: %v", err)
	}
}

// FuzzParseSignature: any header parses or fails with
// ErrMalformedSignature, never panics; what parses has a timestamp of
// digits and 1 to 8 signatures; a header made by Sign parses back.
func FuzzParseSignature(f *testing.F) {
	mac := strings.Repeat("0a", 32)
	for _, seed := range []string{
		"",
		"t=1700000000,v1=" + mac,
		"t=1700000000,v1=" + mac + ",v1=" + mac,
		" t=1 , v1=" + mac,
		"t=1700000000,v0=x,v1=" + mac,
		"t=,v1=",
		"t=1,t=2",
		"v1=" + mac,
		"t=99999999999999999999,v1=" + mac,
		"t=1,v1=" + strings.Repeat("g", 64),
		",,,,",
		"=",
		"t=1700000000,v1=" + mac + ",",
		Sign([]byte("k"), []byte("body"), testNow),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		sig, err := parseSignature(header)
		if err != nil {
			if !errors.Is(err, ErrMalformedSignature) {
				t.Fatalf("parse %q: %v does not wrap ErrMalformedSignature", header, err)
			}
			return
		}
		if len(sig.v1) == 0 || len(sig.v1) > maxSignatures {
			t.Fatalf("parse %q: %d signatures", header, len(sig.v1))
		}
		if n, err := strconv.ParseInt(sig.ts, 10, 64); err != nil || n != sig.unix || sig.unix < 0 {
			t.Fatalf("parse %q: t=%q gives %d", header, sig.ts, sig.unix)
		}
		if !strings.Contains(header, "t="+sig.ts) {
			t.Fatalf("parse %q: timestamp %q is not in the header", header, sig.ts)
		}
		// Verifying never panics either, whatever the header says.
		_ = verifySignature(header, []byte(header), [][]byte{[]byte("k")}, testNow, DefaultTolerance)

		// A header signed for this timestamp parses back to it.
		if sig.unix < 1<<40 {
			signed := Sign([]byte("k"), []byte(header), time.Unix(sig.unix, 0))
			if err := verifySignature(signed, []byte(header), [][]byte{[]byte("k")}, time.Unix(sig.unix, 0), DefaultTolerance); err != nil {
				t.Fatalf("Sign for t=%d: %v", sig.unix, err)
			}
		}
	})
}
