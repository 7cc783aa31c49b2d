package http

import "iter"

// Field is one header or trailer field line: a name and its value.
type Field struct {
	Name  string
	Value string
}

// Header is an ordered list of fields. Names keep the spelling they were
// received or set with; every method compares names ASCII
// case-insensitively. A name may occur several times (Set-Cookie, or a list
// split over lines); Get returns the first value, Values all of them.
//
// Ranging over a Header visits the fields in order, as does All.
//
// Header does not validate what it stores: the parser only produces valid
// fields, and Response.AppendTo rejects an invalid name or value before
// writing anything.
type Header []Field

// Get returns the value of the first field named name, or "".
func (h Header) Get(name string) string {
	for i := range h {
		if equalFold(h[i].Name, name) {
			return h[i].Value
		}
	}
	return ""
}

// Lookup returns the value of the first field named name and whether there
// is one, which tells an empty value from a missing field.
func (h Header) Lookup(name string) (string, bool) {
	for i := range h {
		if equalFold(h[i].Name, name) {
			return h[i].Value, true
		}
	}
	return "", false
}

// Values returns the values of every field named name, in order, or nil.
func (h Header) Values(name string) []string {
	var vs []string
	for i := range h {
		if equalFold(h[i].Name, name) {
			vs = append(vs, h[i].Value)
		}
	}
	return vs
}

// Has reports whether a field named name is present.
func (h Header) Has(name string) bool {
	_, ok := h.Lookup(name)
	return ok
}

// Add appends a field, after any others of the same name.
func (h *Header) Add(name, value string) {
	*h = append(*h, Field{Name: name, Value: value})
}

// Set replaces every field named name with one field holding value, at the
// position of the first of them (or at the end if there was none).
func (h *Header) Set(name, value string) {
	hh := *h
	for i := range hh {
		if equalFold(hh[i].Name, name) {
			hh[i] = Field{Name: name, Value: value}
			rest := deleteFields(hh[i+1:], name)
			*h = hh[:i+1+len(rest)]
			return
		}
	}
	*h = append(hh, Field{Name: name, Value: value})
}

// Del removes every field named name.
func (h *Header) Del(name string) {
	*h = deleteFields(*h, name)
}

// deleteFields removes the fields named name in place.
func deleteFields(h Header, name string) Header {
	out := h[:0]
	for _, f := range h {
		if !equalFold(f.Name, name) {
			out = append(out, f)
		}
	}
	clear(h[len(out):])
	return out
}

// All yields every field's name and value, in order.
func (h Header) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, f := range h {
			if !yield(f.Name, f.Value) {
				return
			}
		}
	}
}

// Clone returns a copy that shares no storage with h (nil for nil).
func (h Header) Clone() Header {
	if h == nil {
		return nil
	}
	return append(Header(nil), h...)
}
