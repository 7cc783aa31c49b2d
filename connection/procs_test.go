package connection

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestSpareProc runs addSpareProc in fresh processes (GOMAXPROCS is the
// process's, and addSpareProc acts once per process): loops as many as the
// Ps get one P more, once; fewer loops, or a GOMAXPROCS set in the
// environment, leave it as it is.
func TestSpareProc(t *testing.T) {
	if os.Getenv("WM_SPARE_PROC_CHILD") != "" {
		procs := runtime.GOMAXPROCS(0)
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		var got []string
		for _, loops := range []int{procs - 1, procs, procs} { // the last: once per process
			addSpareProc(loops, quiet)
			got = append(got, fmt.Sprint(runtime.GOMAXPROCS(0)-procs))
		}
		fmt.Printf("RESULT %s\n", strings.Join(got, " "))
		return
	}
	for _, tc := range []struct {
		env  string
		want string // GOMAXPROCS - the start, after each of the three calls
	}{
		{"", "0 1 1"},
		{"GOMAXPROCS=2", "0 0 0"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSpareProc$", "-test.count=1")
		cmd.Env = append(os.Environ(), "WM_SPARE_PROC_CHILD=1")
		if tc.env != "" {
			cmd.Env = append(cmd.Env, tc.env)
		} else {
			cmd.Env = append(cmd.Env, "GOMAXPROCS=") // unset for the child's runtime, as Getenv sees it
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child (%q): %v\n%s", tc.env, err, out)
		}
		_, res, ok := strings.Cut(string(out), "RESULT ")
		if !ok {
			t.Fatalf("child (%q) printed no result:\n%s", tc.env, out)
		}
		if res, _, _ = strings.Cut(res, "\n"); res != tc.want {
			t.Errorf("with %q in the environment: GOMAXPROCS changed by %q after the calls, want %q", tc.env, res, tc.want)
		}
	}
}
