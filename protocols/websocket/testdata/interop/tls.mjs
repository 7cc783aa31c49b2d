// Node's fetch and a ws client against a workerman-go TLS server (https and
// wss on one port), trusting the test's CA through NODE_EXTRA_CA_CERTS.
//
//	NODE_EXTRA_CA_CERTS=ca.pem node tls.mjs https://localhost:PORT
//
// Prints one JSON line per check; the Go test asserts them.
import WebSocket from 'ws';
import { out, watchParent } from './common.mjs';

watchParent(60000);
const base = process.argv[2];
try {
  const res = await fetch(base + '/page');
  out({ case: 'fetch', code: res.status, data: await res.text() });
  const sent = 'hello over wss '.repeat(100);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('wss: no answer in 15 s')), 15000);
    const ws = new WebSocket(base.replace('https:', 'wss:') + '/ws', { perMessageDeflate: true });
    ws.on('open', () => ws.send(sent));
    ws.on('message', (data) => {
      out({ case: 'wss', extensions: ws.extensions, ok: data.toString() === sent, len: data.length });
      ws.close(1000, 'done');
    });
    ws.on('close', (code) => { clearTimeout(timer); out({ case: 'wss-close', code }); resolve(); });
    ws.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
} catch (e) {
  out({ case: 'error', error: String(e && e.cause ? e.message + ': ' + e.cause : e) });
}
out({ done: true });
process.exit(0);
