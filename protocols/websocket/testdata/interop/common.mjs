// Helpers shared by client.mjs and server.mjs.

// out prints one result as a JSON line on stdout: the Go test reads them.
export function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// frame builds one WebSocket frame by hand (payload under 126 bytes), to
// send what ws itself would refuse to: a client frame is masked unless
// mask is false.
export function frame(opcode, payload, { fin = true, mask = true, rsv = 0 } = {}) {
  payload = Buffer.from(payload);
  if (payload.length > 125) throw new Error('frame: payload too long');
  const head = Buffer.from([(fin ? 0x80 : 0) | rsv | opcode, (mask ? 0x80 : 0) | payload.length]);
  if (!mask) return Buffer.concat([head, payload]);
  const key = Buffer.from([0x11, 0x22, 0x33, 0x44]);
  const body = Buffer.from(payload.map((b, i) => b ^ key[i % 4]));
  return Buffer.concat([head, key, body]);
}

// withTimeout rejects when promise has not settled within ms.
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout: ' + what)), ms);
    })
  ]).finally(() => clearTimeout(timer));
}

// A deterministic pseudo-random buffer (xorshift), so a failure repeats.
export function noise(n, seed = 1) {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

// Compressible text of n bytes (ASCII).
export function prose(n) {
  const words = 'the quick brown fox jumps over the lazy dog while workerman and ws talk '.split(' ');
  let s = '';
  for (let i = 0; s.length < n; i++) s += words[(i * 7) % words.length] + ' ';
  return s.slice(0, n);
}

// Exit when the Go test goes away (stdin closes) or after a hard limit, so
// that a node process never outlives its test.
export function watchParent(limitMs) {
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  setTimeout(() => {
    out({ event: 'fatal', error: 'hard time limit reached' });
    process.exit(3);
  }, limitMs).unref();
}
