package wsframe

import (
	"crypto/rand"
	"encoding/binary"
	"math/bits"
	"sync"
)

// Mask XORs b in place with the masking key (RFC 6455 section 5.3), which
// both masks and unmasks. pos is the offset of b[0] within the payload (only
// pos%4 matters), so a payload that arrives in pieces can be unmasked piece by
// piece; Mask returns the position for the byte after b.
//
// Mask works on 8 bytes at a time and does not allocate.
func Mask(key [4]byte, pos int, b []byte) int {
	pos &= 3
	end := (pos + len(b)) & 3
	if len(b) >= 8 {
		// The key as a little-endian word, rotated so that its low byte is
		// key[pos], then doubled: byte i of the word masks b[i] of any
		// 8-byte block (block offsets are multiples of 4).
		k := bits.RotateLeft32(binary.LittleEndian.Uint32(key[:]), -8*pos)
		k64 := uint64(k) | uint64(k)<<32
		for len(b) >= 32 {
			w := b[:32:32]
			binary.LittleEndian.PutUint64(w[0:], binary.LittleEndian.Uint64(w[0:])^k64)
			binary.LittleEndian.PutUint64(w[8:], binary.LittleEndian.Uint64(w[8:])^k64)
			binary.LittleEndian.PutUint64(w[16:], binary.LittleEndian.Uint64(w[16:])^k64)
			binary.LittleEndian.PutUint64(w[24:], binary.LittleEndian.Uint64(w[24:])^k64)
			b = b[32:]
		}
		for len(b) >= 8 {
			binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k64)
			b = b[8:]
		}
	}
	for i := range b {
		b[i] ^= key[(pos+i)&3]
	}
	return end
}

// keyBatch holds random bytes from crypto/rand for up to 128 mask keys, so
// that NewMaskKey reads the system's random source once per 128 frames.
type keyBatch struct {
	buf  [512]byte
	next int // offset of the next unused key in buf
}

var keyBatches = sync.Pool{New: func() any { return &keyBatch{next: len(keyBatch{}.buf)} }}

// NewMaskKey returns a fresh masking key for a client frame. RFC 6455 section
// 10.3 requires keys an attacker cannot predict, so they come from
// crypto/rand, read in batches (one read per 128 keys, per processor), and
// each key is handed out once.
//
// NewMaskKey is safe for concurrent use and does not allocate in the steady
// state.
func NewMaskKey() (key [4]byte) {
	kb := keyBatches.Get().(*keyBatch)
	if kb.next >= len(kb.buf) {
		_, _ = rand.Read(kb.buf[:]) // never fails: see crypto/rand.Read
		kb.next = 0
	}
	key = [4]byte(kb.buf[kb.next : kb.next+4])
	kb.next += 4
	keyBatches.Put(kb)
	return key
}
