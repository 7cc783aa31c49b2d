package wsframe

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"strings"
)

// keyGUID is the GUID RFC 6455 section 1.3 appends to Sec-WebSocket-Key.
const keyGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// AcceptKey returns the Sec-WebSocket-Accept value that answers the client's
// Sec-WebSocket-Key: the base64 of the SHA-1 of key followed by the RFC 6455
// GUID. For the RFC's example key "dGhlIHNhbXBsZSBub25jZQ==" it is
// "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
func AcceptKey(key string) string {
	var buf [64]byte
	sum := sha1.Sum(append(append(buf[:0], key...), keyGUID...))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// ValidKey reports whether key is a valid Sec-WebSocket-Key: the base64
// (standard alphabet, padded) of exactly 16 bytes. A server must refuse the
// handshake (400 Bad Request) when it is not.
func ValidKey(key string) bool {
	if len(key) != 24 {
		return false
	}
	var buf [18]byte
	n, err := base64.StdEncoding.Decode(buf[:], []byte(key))
	return err == nil && n == 16
}

// isTokenChar holds the tchar of RFC 9110 section 5.6.2: the characters of
// an HTTP token.
var isTokenChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// isToken reports whether s is a non-empty HTTP token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar[s[i]] {
			return false
		}
	}
	return true
}

// SelectSubprotocol returns the subprotocol a server answers in
// Sec-WebSocket-Protocol: the first of supported, in the server's order of
// preference, that the client offered, or "" when there is none (the server
// then sends no Sec-WebSocket-Protocol header). offered is the client's
// Sec-WebSocket-Protocol header, a comma-separated list of tokens; several
// header lines are joined with ",". Tokens compare case-sensitively (RFC
// 6455 section 4.1).
func SelectSubprotocol(offered string, supported []string) string {
	for _, s := range supported {
		if s == "" {
			continue
		}
		for rest := offered; rest != ""; {
			var item string
			item, rest, _ = strings.Cut(rest, ",")
			if strings.Trim(item, " \t") == s {
				return s
			}
		}
	}
	return ""
}

// Extension is one element of a Sec-WebSocket-Extensions header: an
// extension name and its parameters, in order. A client's header lists
// offers in its order of preference, and may offer the same extension
// several times with different parameters.
type Extension struct {
	Name   string
	Params []ExtensionParam
}

// ExtensionParam is a parameter of an Extension. Value is "" for a parameter
// without a value; otherwise it is a token, unquoted if it was quoted.
type ExtensionParam struct {
	Name  string
	Value string
}

// String returns the header form of e, as in
// "permessage-deflate; client_max_window_bits=10".
func (e Extension) String() string {
	var b strings.Builder
	b.WriteString(e.Name)
	for _, p := range e.Params {
		b.WriteString("; ")
		b.WriteString(p.Name)
		if p.Value != "" {
			b.WriteByte('=')
			b.WriteString(p.Value)
		}
	}
	return b.String()
}

// ParseExtensions parses a Sec-WebSocket-Extensions header (RFC 6455 section
// 9.1): a comma-separated list of extensions, each a token followed by
// parameters "; name" or "; name=value", where value is a token or a quoted
// string whose unescaped content is a token. Whitespace around separators
// and empty list elements are allowed. Several header lines are joined with
// ",". A malformed header is an error naming the offending byte; a server
// should then answer without extensions or refuse the handshake.
func ParseExtensions(header string) ([]Extension, error) {
	var exts []Extension
	p := extParser{s: header}
	for {
		p.skipSpace()
		if p.eof() {
			return exts, nil
		}
		if p.peek() == ',' {
			p.i++
			continue
		}
		name, err := p.token("extension name")
		if err != nil {
			return nil, err
		}
		ext := Extension{Name: name}
		for {
			p.skipSpace()
			if p.eof() || p.peek() == ',' {
				break
			}
			if p.peek() != ';' {
				return nil, p.fail("expected ';' or ','")
			}
			p.i++
			p.skipSpace()
			var param ExtensionParam
			if param.Name, err = p.token("parameter name"); err != nil {
				return nil, err
			}
			p.skipSpace()
			if !p.eof() && p.peek() == '=' {
				p.i++
				p.skipSpace()
				if param.Value, err = p.value(); err != nil {
					return nil, err
				}
			}
			ext.Params = append(ext.Params, param)
		}
		exts = append(exts, ext)
	}
}

// extParser is a cursor over a Sec-WebSocket-Extensions header.
type extParser struct {
	s string
	i int
}

func (p *extParser) eof() bool  { return p.i >= len(p.s) }
func (p *extParser) peek() byte { return p.s[p.i] }

func (p *extParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// fail returns an error for a problem at the cursor.
func (p *extParser) fail(problem string) error {
	found := "the end"
	if !p.eof() {
		found = fmt.Sprintf("%q", p.s[p.i])
	}
	return fmt.Errorf("websocket: malformed Sec-WebSocket-Extensions %q: %s, found %s at offset %d",
		p.s, problem, found, p.i)
}

func (p *extParser) token(what string) (string, error) {
	start := p.i
	for p.i < len(p.s) && isTokenChar[p.s[p.i]] {
		p.i++
	}
	if p.i == start {
		return "", p.fail("expected " + what)
	}
	return p.s[start:p.i], nil
}

// value reads a parameter value: a token or a quoted string (RFC 9110
// section 5.6.4) whose content, unescaped, must be a token.
func (p *extParser) value() (string, error) {
	if p.eof() || p.peek() != '"' {
		return p.token("parameter value")
	}
	p.i++
	var b strings.Builder
	for {
		if p.eof() {
			return "", p.fail("unterminated quoted string")
		}
		c := p.s[p.i]
		p.i++
		switch c {
		case '"':
			v := b.String()
			if !isToken(v) {
				p.i--
				return "", p.fail(fmt.Sprintf("quoted value %q is not a token", v))
			}
			return v, nil
		case '\\':
			if p.eof() {
				return "", p.fail("unterminated quoted string")
			}
			c = p.s[p.i]
			p.i++
		}
		b.WriteByte(c)
	}
}
