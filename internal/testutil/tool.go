package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// RequireTool returns the path of a program the test runs (name, from
// Debian package pkg), or skips the test without it; under CI=true, where
// .ci/run installs it, a missing program fails the test instead.
func RequireTool(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (Debian: apt-get install %s)", name, pkg)
		}
		t.Skipf("%s is not installed (Debian: apt-get install %s)", name, pkg)
	}
	return path
}
