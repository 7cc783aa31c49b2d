// A ws server that workerman-go's client (websocket.Dial) is checked
// against: permessage-deflate on, the subprotocol "interop.v1" when
// offered, every data message echoed with its type, and commands (text
// messages) that make it send what an echo would not. It listens on
// 127.0.0.1, a port the system picks, and prints JSON lines: first
// {"event": "listening", "port"}, then an event for each connection
// ("connection", with the path, extensions and protocol), ping, pong, close
// and error. It exits when its stdin closes.
import { WebSocketServer } from 'ws';
import { out, frame, noise, watchParent } from './common.mjs';

watchParent(180000);

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: { threshold: 256 },
  maxPayload: 8 << 20,
  handleProtocols: (protocols) => (protocols.has('interop.v1') ? 'interop.v1' : false),
});

const commands = {
  // A text message in three frames.
  'fragment-me': (ws) => {
    ws.send('frag', { fin: false, compress: false });
    ws.send('men', { fin: false, compress: false });
    ws.send('ted', { fin: true, compress: false });
  },
  // A compressed message in three frames (one deflate stream across them).
  'fragment-me-compressed': (ws) => {
    ws.send('x'.repeat(3000), { fin: false, compress: true });
    ws.send('y'.repeat(3000), { fin: false });
    ws.send('z'.repeat(3000), { fin: true });
  },
  'fragment-me-binary': (ws) => {
    ws.send(Buffer.from([0, 1, 2]), { fin: false, compress: false });
    ws.send(Buffer.from([253, 254, 255]), { fin: true, compress: false });
  },
  // A ping; the pong handler below answers "got pong: <data>".
  'ping-me': (ws) => ws.ping('ping from ws'),
  'close-me': (ws) => ws.close(4002, 'bye from ws'),
  'close-nostatus': (ws) => ws.close(),
  // Protocol violations written by hand: invalid UTF-8 in a text frame, a
  // masked frame from the server, an unknown opcode.
  'bad-utf8': (ws) => ws._socket.write(frame(0x1, Buffer.from([0x68, 0xff, 0xfe]), { mask: false })),
  'masked-frame': (ws) => ws._socket.write(frame(0x1, 'hi', { mask: true })),
  'reserved-opcode': (ws) => ws._socket.write(frame(0xb, '', { mask: false })),
  // 2 MiB: over the limit the client sets for this case.
  'big-2mib': (ws) => ws.send(noise(2 << 20, 5), { compress: false }),
};

wss.on('listening', () => out({ event: 'listening', port: wss.address().port }));
wss.on('connection', (ws, req) => {
  const path = req.url;
  out({ event: 'connection', path, extensions: ws.extensions, protocol: ws.protocol });
  ws.on('message', (data, isBinary) => {
    const cmd = !isBinary && commands[data.toString()];
    if (cmd) cmd(ws);
    else ws.send(data, { binary: isBinary });
  });
  ws.on('ping', (data) => out({ event: 'ping', path, data: data.toString() }));
  ws.on('pong', (data) => {
    out({ event: 'pong', path, data: data.toString() });
    ws.send('got pong: ' + data.toString());
  });
  ws.on('close', (code, reason) => out({ event: 'close', path, code, reason: reason.toString() }));
  ws.on('error', (err) => out({ event: 'error', path, error: err.message, code: err.code }));
});
