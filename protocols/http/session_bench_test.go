package http_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/protocols/http"
)

// BenchmarkFileSessionStore is the I/O of one session load and one save in
// a FileSessionStore (a small session, in the test's temporary folder):
// what a request that uses its session and changes it cost its event loop
// when the store was called there. The http:// protocol now calls the
// store on goroutines (see BenchmarkSessionLoopWork for what stays on the
// loop).
func BenchmarkFileSessionStore(b *testing.B) {
	data := map[string]string{"user": "ada", "visits": "12", "cart": `[{"sku":"A-1","n":2}]`}
	id := strings.Repeat("ab", 16)
	b.Run("Load", func(b *testing.B) {
		store, err := http.NewFileSessionStore(filepath.Join(b.TempDir(), "s"), time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		if err := store.Save(id, data); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if d, err := store.Load(id); err != nil || d == nil {
				b.Fatal(d, err)
			}
		}
	})
	b.Run("Save", func(b *testing.B) {
		store, err := http.NewFileSessionStore(filepath.Join(b.TempDir(), "s"), time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := store.Save(id, data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
