package worker

import (
	"flag"
	"strings"
	"testing"
)

// misplacedFlag reads the arguments after the command word, any of them:
// it names a flag of the command line that is not the command's own, or
// nothing.
func FuzzMisplacedFlag(f *testing.F) {
	for _, s := range []string{"-d", "-redis x", "--redis=x", "-d -redis", "-- -redis", "x -listen", "-", "--", "-=", "-redis=", "-g", "---redis"} {
		f.Add(s)
	}
	fs := NewFlagSet("prog")
	fs.String("redis", "", "")
	fs.Bool("d", false, "") // a program's flag named like start's
	sub := flag.NewFlagSet("start", flag.ContinueOnError)
	sub.Bool("d", false, "")
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Fields(s)
		name := misplacedFlag(fs, sub, args)
		if name == "" {
			return
		}
		n := strings.TrimPrefix(name, "-")
		if fs.Lookup(n) == nil || sub.Lookup(n) != nil {
			t.Fatalf("%q: %q is not a misplaced flag", args, name)
		}
		found := false
		for _, a := range args {
			if a == "--" {
				break
			}
			if a == "-"+n || a == "--"+n || strings.HasPrefix(a, "-"+n+"=") || strings.HasPrefix(a, "--"+n+"=") {
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("%q: %q is not among the arguments", args, name)
		}
	})
}
