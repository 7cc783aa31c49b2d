package wsframe_test

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	ws "github.com/workerman-go/workerman/protocols/websocket/wsframe"
)

func TestValidCloseCode(t *testing.T) {
	valid := func(c int) bool {
		return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999)
	}
	for c := -1; c <= 70000; c++ {
		if ws.ValidCloseCode(c) != valid(c) {
			t.Fatalf("ValidCloseCode(%d) = %v", c, !valid(c))
		}
	}
	for _, c := range []int{ws.CloseNoStatus, ws.CloseAbnormal, ws.CloseTLSHandshake, 1004, 1016, 2999, 5000} {
		if ws.ValidCloseCode(c) {
			t.Errorf("ValidCloseCode(%d) is true", c)
		}
	}
	codes := []int{ws.CloseNormal, ws.CloseGoingAway, ws.CloseProtocolError, ws.CloseUnsupportedData,
		ws.CloseNoStatus, ws.CloseAbnormal, ws.CloseInvalidPayload, ws.ClosePolicyViolation,
		ws.CloseMessageTooBig, ws.CloseMandatoryExtension, ws.CloseInternalError}
	for i, want := range []int{1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011} {
		if codes[i] != want {
			t.Errorf("constant %d = %d, want %d", i, codes[i], want)
		}
	}
}

func closePayload(code int, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}

func TestParseClosePayload(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		code    int
		reason  string
		errCode int
	}{
		{"empty", nil, ws.CloseNoStatus, "", 0},
		{"code only", closePayload(1000, ""), 1000, "", 0},
		{"reason", closePayload(1001, "bye"), 1001, "bye", 0},
		{"utf-8 reason", closePayload(4000, "ciao ☃ 😀"), 4000, "ciao ☃ 😀", 0},
		{"1012", closePayload(1012, ""), 1012, "", 0},
		{"1014", closePayload(1014, ""), 1014, "", 0},
		{"3000", closePayload(3000, ""), 3000, "", 0},
		{"4999", closePayload(4999, ""), 4999, "", 0},
		{"one byte", []byte{0x03}, 0, "", 1002},
		{"0", closePayload(0, ""), 0, "", 1002},
		{"999", closePayload(999, ""), 0, "", 1002},
		{"1004", closePayload(1004, ""), 0, "", 1002},
		{"1005", closePayload(1005, ""), 0, "", 1002},
		{"1006", closePayload(1006, ""), 0, "", 1002},
		{"1015", closePayload(1015, ""), 0, "", 1002},
		{"1016", closePayload(1016, ""), 0, "", 1002},
		{"2999", closePayload(2999, ""), 0, "", 1002},
		{"5000", closePayload(5000, ""), 0, "", 1002},
		{"65535", closePayload(65535, ""), 0, "", 1002},
		{"invalid utf-8", closePayload(1000, "a\xffb"), 0, "", 1007},
		{"truncated utf-8", closePayload(1000, "\xe2\x82"), 0, "", 1007},
		{"surrogate", closePayload(1000, "\xed\xa0\x80"), 0, "", 1007},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, reason, err := ws.ParseClosePayload(tc.payload)
			if tc.errCode != 0 {
				var pe *ws.ProtocolError
				if !errors.As(err, &pe) || pe.Code != tc.errCode {
					t.Fatalf("err = %v, want close code %d", err, tc.errCode)
				}
				return
			}
			if err != nil || code != tc.code || reason != tc.reason {
				t.Fatalf("= %d, %q, %v; want %d, %q", code, reason, err, tc.code, tc.reason)
			}
		})
	}
}

func TestAppendClosePayload(t *testing.T) {
	if got := ws.AppendClosePayload(nil, 1000, "bye"); string(got) != "\x03\xe8bye" {
		t.Fatalf("1000 bye = % x", got)
	}
	for _, code := range []int{ws.CloseNoStatus, ws.CloseAbnormal, 0, 999, 5000} {
		if got := ws.AppendClosePayload([]byte("x"), code, "reason"); string(got) != "x" {
			t.Fatalf("code %d: % x, want nothing appended", code, got)
		}
	}
	// A long reason is cut at a character boundary within 123 bytes.
	long := strings.Repeat("€", 50) // 150 bytes
	got := ws.AppendClosePayload(nil, 1000, long)
	if len(got) > ws.MaxControlPayload || !utf8.Valid(got[2:]) || len(got[2:]) != 123 {
		t.Fatalf("long reason: %d bytes, valid %v", len(got), utf8.Valid(got[2:]))
	}
	got = ws.AppendClosePayload(nil, 1000, strings.Repeat("a", 122)+"€")
	if string(got[2:]) != strings.Repeat("a", 122) {
		t.Fatalf("reason cut inside a character: %q", got[2:])
	}
	// Invalid UTF-8 is replaced.
	if got := ws.AppendClosePayload(nil, 1000, "a\xffb"); string(got[2:]) != "a\uFFFDb" {
		t.Fatalf("invalid reason = %q", got[2:])
	}
	code, reason, err := ws.ParseClosePayload(ws.AppendClosePayload(nil, 4321, "round trip"))
	if code != 4321 || reason != "round trip" || err != nil {
		t.Fatalf("round trip = %d %q %v", code, reason, err)
	}
}

func TestCloseFrame(t *testing.T) {
	if got := ws.CloseFrame(ws.CloseNormal, "bye"); string(got) != "\x88\x05\x03\xe8bye" {
		t.Fatalf("CloseFrame(1000, bye) = % x", got)
	}
	if got := ws.CloseFrame(ws.CloseNoStatus, "ignored"); string(got) != "\x88\x00" {
		t.Fatalf("CloseFrame(1005) = % x", got)
	}
	got := ws.CloseFrame(ws.CloseGoingAway, strings.Repeat("x", 200))
	h, n, err := ws.ParseFrameHeader(got)
	if err != nil || h.Length != ws.MaxControlPayload || n+int(h.Length) != len(got) {
		t.Fatalf("long reason: header %+v, %v", h, err)
	}
}

func TestErrors(t *testing.T) {
	ce := &ws.CloseError{Code: 1001, Reason: "bye"}
	if ce.Error() != "websocket: close 1001 (going away): bye" {
		t.Errorf("CloseError = %q", ce.Error())
	}
	if s := (&ws.CloseError{Code: 4000}).Error(); s != "websocket: close 4000" {
		t.Errorf("CloseError = %q", s)
	}
	pe := &ws.ProtocolError{Code: 1002, Reason: "fragmented ping frame"}
	if pe.Error() != "websocket: fragmented ping frame (close 1002, protocol error)" {
		t.Errorf("ProtocolError = %q", pe.Error())
	}
	if pe.Reply() == nil || string(pe.Reply()) != string(ws.CloseFrame(1002, "fragmented ping frame")) {
		t.Errorf("Reply = % x", pe.Reply())
	}
	if pe.Unwrap() != nil {
		t.Errorf("Unwrap = %v", pe.Unwrap())
	}
}
