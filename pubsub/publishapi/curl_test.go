package publishapi_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/pubsub/publishapi"
)

// curlExample is the shell example of the package documentation (and the
// README), line for line: TestCurlExample checks that doc.go shows exactly
// this, and runs it.
const curlExample = `SECRET='change-me'
BODY='{"topic":"news","data":"hello"}'
T=$(date +%s)
SIG=$(printf '%s.%s' "$T" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | awk '{print $NF}')
curl -sS http://127.0.0.1:8080/publish \
  -H 'Content-Type: application/json' \
  -H "X-Signature: t=$T,v1=$SIG" \
  --data-binary "$BODY"`

// The documented curl command publishes: run with bash, openssl and curl
// against a server whose secret is the example's.
func TestCurlExample(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, line := range strings.Split(curlExample, "\n") {
		shown = append(shown, "//\t"+line)
	}
	if !strings.Contains(string(doc), strings.Join(shown, "\n")+"\n") {
		t.Fatalf("doc.go does not show the example as this test runs it:\n%s", curlExample)
	}

	for _, tool := range []string{"bash", "openssl", "curl", "awk", "date"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (Debian packages: bash openssl curl mawk coreutils): the curl example is not run", tool)
		}
	}
	s := startServer(t, publishapi.Options{Secret: []byte("change-me")}, http.Config{})
	st := s.openStream(t, "news", 1)

	script := strings.Replace(curlExample, "http://127.0.0.1:8080", s.base, 1)
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", "set -euo pipefail\n"+script)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the example failed: %v\nstdout: %s\nstderr: %s", err, out, stderr.String())
	}
	var answer struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(out, &answer); err != nil || answer.ID == "" {
		t.Fatalf("the example printed %q (stderr %q), want {\"id\": ...}", out, stderr.String())
	}
	if e := st.next(t); e.ID != answer.ID || e.Data != "hello" {
		t.Fatalf("event %+v, want hello with id %s", e, answer.ID)
	}
}
