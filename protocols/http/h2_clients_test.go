package http_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/internal/testutil"
)

// tlsH2Server serves h2Routes over TLS with a certificate of a test CA,
// whose file it returns for the clients.
func tlsH2Server(t *testing.T) (addr, caFile string, sockets func() int64) {
	t.Helper()
	ca := testutil.NewCA(t)
	caFile, _, _ = ca.WriteFiles(t, t.TempDir())
	cert := ca.Issue(t, "localhost", "localhost", "127.0.0.1")
	addr, n := serveH2(t, &tls.Config{Certificates: []tls.Certificate{cert}})
	return addr, caFile, n.Load
}

// curl, over TLS (ALPN) and in clear text with prior knowledge.
func TestHTTP2Curl(t *testing.T) {
	curl := testutil.RequireTool(t, "curl", "curl")
	addr, caFile, _ := tlsH2Server(t)
	_, port, _ := strings.Cut(addr, ":")
	h2c, _ := serveH2(t, nil)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--http2", "--cacert", caFile, "https://localhost:" + port + "/hello"}, "hello HTTP/2.0 2"},
		{[]string{"--http2", "--cacert", caFile, "-d", "a posted body", "https://localhost:" + port + "/echo"}, "a posted body 2"},
		{[]string{"--http2", "--cacert", caFile, "https://localhost:" + port + "/chunked"}, "part 0;part 1;part 2; 2"},
		{[]string{"--http2-prior-knowledge", "http://" + h2c + "/hello"}, "hello HTTP/2.0 2"},
		{[]string{"--http1.1", "--cacert", caFile, "https://localhost:" + port + "/hello"}, "hello HTTP/1.1 1.1"},
	} {
		out, err := exec.Command(curl, append([]string{"-sS", "--max-time", "10", "-w", " %{http_version}"}, tc.args...)...).CombinedOutput()
		if err != nil || string(out) != tc.want {
			t.Errorf("curl %q: %v, %q; want %q", tc.args, err, out, tc.want)
		}
	}
}

// Node's http2 module, trusting the test's CA: a request and an event
// stream, on one connection.
func TestHTTP2Node(t *testing.T) {
	node := testutil.RequireTool(t, "node", "nodejs")
	addr, caFile, sockets := tlsH2Server(t)
	_, port, _ := strings.Cut(addr, ":")
	script := filepath.Join(t.TempDir(), "h2.js")
	if err := os.WriteFile(script, []byte(nodeH2Script), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, script, "https://localhost:"+port, caFile).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	var got struct {
		ALPN   string
		Hello  struct{ Status, Body string }
		Events struct{ Status, Body string }
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node printed %q: %v", out, err)
	}
	if got.ALPN != "h2" || got.Hello.Status != "200" || got.Hello.Body != "hello HTTP/2.0" ||
		got.Events.Status != "200" || !strings.HasPrefix(got.Events.Body, "data: first HTTP/2.0\n\ndata: tick 1\n\n") {
		t.Fatalf("node got %+v", got)
	}
	if n := sockets(); n != 1 {
		t.Fatalf("node opened %d connections, want 1", n)
	}
}

const nodeH2Script = `const http2 = require('node:http2');
const fs = require('node:fs');
const [origin, caFile] = process.argv.slice(2);
const client = http2.connect(origin, { ca: fs.readFileSync(caFile) });
function get(path, headers, enough) {
  return new Promise((resolve, reject) => {
    const req = client.request({ ':path': path, ...headers });
    let status = '', body = '';
    req.on('response', (h) => { status = String(h[':status']); });
    req.setEncoding('utf8');
    req.on('data', (d) => {
      body += d;
      if (enough && enough(body)) { req.close(); resolve({ Status: status, Body: body }); }
    });
    req.on('end', () => resolve({ Status: status, Body: body }));
    req.on('error', reject);
    req.end();
  });
}
(async () => {
  const Hello = await get('/hello');
  const Events = await get('/events', { accept: 'text/event-stream' }, (b) => b.includes('data: tick 2\n\n'));
  console.log(JSON.stringify({ ALPN: client.alpnProtocol, Hello, Events }));
  client.close();
})().catch((e) => { console.error(e); process.exit(1); });
`
