// A ws client that checks a workerman-go WebSocket server.
//
//	node client.mjs NAME=ws://127.0.0.1:PORT ...
//
// For each target it runs every case on a connection of its own (the path
// names the case, so the Go side can tell connections apart) and prints one
// JSON line per case: {"target", "case", ...observations}; the Go test
// asserts them. The server echoes every data message with its type, and
// answers "close-me" with a close (4001, "bye from go") and "ping-me" with
// a ping ("ping from go"). The last line is {"done": true}.
import WebSocket from 'ws';
import { createHash } from 'node:crypto';
import { out, frame, withTimeout, noise, prose, watchParent } from './common.mjs';

const CASE_TIMEOUT = 15000;
watchParent(120000);

const sha = (b) => createHash('sha256').update(b).digest('hex').slice(0, 16);

// connect opens a WebSocket and resolves once it is open, with helpers
// that never miss an event: messages are queued until asked for.
function connect(url, { deflate = false, protocols = [] } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: deflate, maxPayload: 64 << 20 });
    const queue = [];
    const waiters = [];
    let closed = null;
    const closeWaiters = [];
    ws.on('message', (data, isBinary) => {
      const m = { data, isBinary };
      if (waiters.length) waiters.shift().resolve(m); else queue.push(m);
    });
    ws.on('close', (code, reason) => {
      closed = { code, reason: reason.toString() };
      for (const w of waiters.splice(0)) w.reject(new Error(`closed ${code} ${closed.reason} while waiting for a message`));
      for (const f of closeWaiters.splice(0)) f(closed);
    });
    ws.on('error', (err) => {
      ws.lastError = err.message;
      if (ws.readyState === WebSocket.CONNECTING) reject(err);
    });
    ws.on('unexpected-response', (req, res) => reject(new Error('unexpected response ' + res.statusCode)));
    ws.on('open', () => resolve({
      ws,
      next: () => withTimeout(new Promise((res, rej) => {
        if (queue.length) res(queue.shift());
        else if (closed) rej(new Error(`closed ${closed.code} while waiting for a message`));
        else waiters.push({ resolve: res, reject: rej });
      }), CASE_TIMEOUT, 'message'),
      closed: () => withTimeout(new Promise((res) => {
        if (closed) res(closed); else closeWaiters.push(res);
      }), CASE_TIMEOUT, 'close'),
      // wire counts the bytes on the TCP connection so far.
      wire: () => ({ out: ws._socket.bytesWritten, in: ws._socket.bytesRead }),
    }));
  });
}

// echo sends each of parts (one message, fragmented when there are several)
// and returns what came back.
async function echo(c, parts, opts = {}) {
  parts.forEach((p, i) => c.ws.send(p, { ...opts, fin: i === parts.length - 1 }));
  const m = await c.next();
  const sent = Buffer.concat(parts.map((p) => Buffer.from(p)));
  return {
    ok: Buffer.compare(sent, m.data) === 0,
    type: m.isBinary ? 'binary' : 'text',
    len: m.data.length,
    sent_len: sent.length,
    got_sha: sha(m.data),
    sent_sha: sha(sent),
  };
}

// closeAfter closes normally and waits for the end.
async function finish(c) {
  c.ws.close(1000);
  await c.closed();
}

const euro = Buffer.from('€'); // 3 bytes: split across fragments below

const cases = {
  async text(url) {
    const c = await connect(url, { protocols: ['interop.v1'] });
    const r = await echo(c, ['héllo wörld € 😀']);
    r.protocol = c.ws.protocol;
    r.extensions = c.ws.extensions;
    await finish(c);
    return r;
  },
  async binary(url) {
    const c = await connect(url);
    const r = await echo(c, [noise(300, 7)]);
    await finish(c);
    return r;
  },
  async empty(url) {
    const c = await connect(url);
    const r = await echo(c, ['']);
    await finish(c);
    return r;
  },
  // A text message in three fragments, a UTF-8 character split across two
  // of them, with a ping between fragments.
  async fragmented(url) {
    const c = await connect(url);
    c.ws.send(Buffer.concat([Buffer.from('frag'), euro.subarray(0, 1)]), { binary: false, fin: false });
    c.ws.ping('between fragments');
    c.ws.send(Buffer.concat([euro.subarray(1), Buffer.from('men')]), { binary: false, fin: false });
    c.ws.send('ted', { fin: true });
    const m = await c.next();
    await finish(c);
    return { ok: m.data.toString() === 'frag€mented' && !m.isBinary, type: m.isBinary ? 'binary' : 'text', got: m.data.toString() };
  },
  async 'fragmented-binary'(url) {
    const c = await connect(url);
    const r = await echo(c, [noise(100, 1), noise(70000, 2), noise(5, 3)], { binary: true });
    await finish(c);
    return r;
  },
  // permessage-deflate on both sides: messages above both thresholds (ws
  // 1024 bytes, ours 512), several in a row (no context takeover must
  // reset both ways), text and binary, and one fragmented.
  async compressed(url) {
    const c = await connect(url, { deflate: true });
    const before = c.wire();
    const results = [];
    const text = prose(64 << 10);
    for (let i = 0; i < 3; i++) results.push(await echo(c, [text]));
    results.push(await echo(c, [Buffer.from(prose(20000))], { binary: true }));
    results.push(await echo(c, [prose(4000), prose(3000), prose(2000)], { compress: true }));
    const after = c.wire();
    await finish(c);
    const sent = 3 * text.length + 20000 + 9000;
    return {
      ok: results.every((r) => r.ok),
      types: results.map((r) => r.type).join(','),
      extensions: c.ws.extensions,
      payload: sent,
      wire_out: after.out - before.out,
      wire_in: after.in - before.in,
      results,
    };
  },
  // A small message with deflate negotiated: under the thresholds, sent
  // plain both ways.
  async 'compressed-small'(url) {
    const c = await connect(url, { deflate: true });
    const r = await echo(c, ['tiny']);
    r.extensions = c.ws.extensions;
    await finish(c);
    return r;
  },
  // Window bits: a server window under 15 is declined (compress/flate
  // always uses 32 KiB), so the connection goes on uncompressed; a small
  // client window is fine (we inflate any window).
  async 'compressed-server-window'(url) {
    const c = await connect(url, { deflate: { serverMaxWindowBits: 10 } });
    const r = await echo(c, [prose(5000)]);
    r.extensions = c.ws.extensions;
    await finish(c);
    return r;
  },
  async 'compressed-client-window'(url) {
    const c = await connect(url, { deflate: { clientMaxWindowBits: 9 } });
    const before = c.wire();
    const r = await echo(c, [prose(50000)]);
    const after = c.wire();
    r.extensions = c.ws.extensions;
    r.wire_out = after.out - before.out;
    r.wire_in = after.in - before.in;
    r.payload = 50000;
    await finish(c);
    return r;
  },
  async '1mib'(url) {
    const c = await connect(url);
    const r = await echo(c, [noise(1 << 20, 42)]);
    await finish(c);
    return r;
  },
  async '1mib-compressed'(url) {
    const c = await connect(url, { deflate: true });
    const r = await echo(c, [prose(1 << 20)]);
    await finish(c);
    return r;
  },
  // Pings: ws pings us (we pong), we ping ws (ws pongs; the Go side checks
  // its OnWebSocketPong).
  async ping(url) {
    const c = await connect(url);
    const pong = new Promise((res) => c.ws.once('pong', res));
    c.ws.ping('ping from ws');
    const data = await withTimeout(pong, CASE_TIMEOUT, 'pong');
    await finish(c);
    return { ok: data.toString() === 'ping from ws', data: data.toString() };
  },
  async 'server-ping'(url) {
    const c = await connect(url);
    const ping = new Promise((res) => c.ws.once('ping', res));
    c.ws.send('ping-me');
    const data = await withTimeout(ping, CASE_TIMEOUT, 'ping');
    // An echo after it: by then our pong has reached the server.
    const r = await echo(c, ['after the ping']);
    await finish(c);
    return { ok: r.ok && data.toString() === 'ping from go', data: data.toString() };
  },
  // Closes: started by the server, by ws, and a plain close without a code.
  async 'server-close'(url) {
    const c = await connect(url);
    c.ws.send('close-me');
    const e = await c.closed();
    return { code: e.code, reason: e.reason };
  },
  async 'client-close'(url) {
    const c = await connect(url);
    c.ws.close(4000, 'bye from ws');
    const e = await c.closed();
    return { code: e.code, reason: e.reason };
  },
  async 'client-close-nostatus'(url) {
    const c = await connect(url);
    c.ws.close();
    const e = await c.closed();
    return { code: e.code, reason: e.reason };
  },
  // Protocol violations we must detect, and the close code we answer.
  async 'invalid-utf8'(url) {
    const c = await connect(url);
    c.ws.send(Buffer.from([0x68, 0x69, 0xff, 0xfe]), { binary: false }); // ws does not check what it sends
    return await c.closed();
  },
  async 'invalid-utf8-fragmented'(url) {
    const c = await connect(url);
    c.ws.send(euro.subarray(0, 2), { binary: false, fin: false });
    c.ws.send('x', { fin: true });
    return await c.closed();
  },
  async 'invalid-utf8-compressed'(url) {
    const c = await connect(url, { deflate: true });
    const bad = Buffer.concat([Buffer.from(prose(3000)), Buffer.from([0xc0, 0xaf])]);
    c.ws.send(bad, { binary: false, compress: true });
    return await c.closed();
  },
  async unmasked(url) {
    const c = await connect(url);
    c.ws._socket.write(frame(0x1, 'hi', { mask: false }));
    return await c.closed();
  },
  async 'reserved-opcode'(url) {
    const c = await connect(url);
    c.ws._socket.write(frame(0x3, 'x'));
    return await c.closed();
  },
  async 'rsv1-without-deflate'(url) {
    const c = await connect(url);
    c.ws._socket.write(frame(0x1, 'x', { rsv: 0x40 }));
    return await c.closed();
  },
  async 'fragmented-control'(url) {
    const c = await connect(url);
    c.ws._socket.write(frame(0x9, 'p', { fin: false }));
    return await c.closed();
  },
  async 'invalid-close-code'(url) {
    const c = await connect(url);
    c.ws._socket.write(frame(0x8, Buffer.from([0x03, 0xed]))); // 1005 may not be sent
    return await c.closed();
  },
  // Over the server's MaxMessageSize (4 MiB).
  async 'too-big'(url) {
    const c = await connect(url);
    c.ws.send(noise(5 << 20, 9));
    const e = await c.closed();
    return { ...e, ws_error: c.ws.lastError };
  },
};

const targets = process.argv.slice(2).map((a) => {
  const i = a.indexOf('=');
  return { name: a.slice(0, i), base: a.slice(i + 1).replace(/\/$/, '') };
});

for (const t of targets) {
  for (const [name, run] of Object.entries(cases)) {
    const url = `${t.base}/${name}`;
    try {
      const r = await withTimeout(run(url), CASE_TIMEOUT * 2, name);
      out({ target: t.name, case: name, ...r });
    } catch (err) {
      out({ target: t.name, case: name, error: String(err && err.message || err) });
    }
  }
}
out({ done: true });
process.exit(0);
