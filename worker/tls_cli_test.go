//go:build unix

package worker_test

import (
	"crypto/tls"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/internal/testutil"
)

// -tls-cert and -tls-key serve TLS on the first Worker's address: curl
// with the test's CA gets a page and an event stream; certificate files
// replaced on disk are served from the next handshakes on, without a
// restart.
func TestTLSFlagsWithCurl(t *testing.T) {
	curl := testutil.RequireTool(t, "curl", "curl")
	dir := t.TempDir()
	ca := testutil.NewCA(t)
	caFile, certFile, keyFile := ca.WriteFiles(t, dir)
	s := startServer(t, "tls", nil, "-tls-cert", certFile, "-tls-key", keyFile, "-pidfile", filepath.Join(dir, "web.pid"), "start")
	_, port, _ := strings.Cut(s.addr, ":")
	url := "https://localhost:" + port + "/"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{url}, "hello over TLS"},
		{[]string{"-N", "-H", "Accept: text/event-stream", url}, "data: one\n\ndata: two\n\n"},
	} {
		out, err := exec.Command(curl, append([]string{"-sS", "--max-time", "10", "--cacert", caFile}, c.args...)...).CombinedOutput()
		if err != nil || string(out) != c.want {
			t.Fatalf("curl %v: %v, %q; want %q", c.args, err, out, c.want)
		}
	}

	// A new certificate in the same files: served without a restart.
	subject := func() string {
		c, err := tls.Dial("tcp", s.addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	if got := subject(); got != "workerman-go development server" {
		t.Fatalf("certificate %q", got)
	}
	renewed := t.TempDir()
	_, newCert, newKey := ca.WriteFiles(t, renewed)
	for _, f := range [][2]string{{newCert, certFile}, {newKey, keyFile}} {
		if err := os.Rename(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	// The same subject: tell the certificates apart by serial number.
	c, err := tls.Dial("tcp", s.addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	old := c.ConnectionState().PeerCertificates[0].SerialNumber
	c.Close()
	testutil.Eventually(t, "the renewed certificate served", func() bool {
		c, err := tls.Dial("tcp", s.addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.Cmp(old) != 0
	})
	stopServer(t, s)
}
