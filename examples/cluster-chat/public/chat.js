// The page of the cluster chat: messages go out with POST /send, one at a
// time, and come back, from every user of every server process, over
// server-sent events (the default), a WebSocket (?via=ws) or long polling
// (?via=poll). Each message has an id, the same over the three: a client
// that reconnects sends the id of the last one it has and gets those it
// missed.

const messages = document.querySelector('.messages');
const textarea = document.querySelector('.form > textarea');
const state = document.getElementById('state');
const queueInfo = document.getElementById('queue');
const via = new URLSearchParams(location.search).get('via') || 'sse';
for (const a of document.querySelectorAll('[data-via]')) {
  if (a.dataset.via === via) a.classList.add('current');
}

// The user's colour is in the cookie "author" (URL-encoded, as PHP writes it).
function showMyColor() {
  const m = document.cookie.match(/(?:^|;\s*)author=([^;]*)/);
  if (m) document.querySelector('.author.me').style.backgroundColor = decodeURIComponent(m[1]);
}
showMyColor();

// --- The message list ---------------------------------------------------
//
// Messages arrive one by one, or by the thousand (a history, a burst from
// many users): drawing each as it comes, and keeping them all, would
// freeze the page. So arrivals wait in a queue and are drawn in batches,
// one DOM update per animation frame, and the list keeps the last
// MAX_MESSAGES.

// MAX_MESSAGES is how many messages the page shows: the last 500. A reader
// follows the recent ones; every message kept makes each layout slower and
// the page bigger, without end in a long session. (A new page gets the
// server's history, its last 100 or so.)
const MAX_MESSAGES = 500;

const colorPattern = /^rgb\(\d{1,3},\d{1,3},\d{1,3}\)$/;
let pending = [];       // data of messages received and not drawn yet, oldest first
let clearFirst = false; // a reset came: the next frame empties the list first
let frameRequested = false;

function scheduleDraw() {
  if (!frameRequested) {
    frameRequested = true;
    requestAnimationFrame(draw);
  }
}

// add queues one message's data (a JSON string) for the next frame.
function add(data) {
  pending.push(data);
  // Only the last MAX_MESSAGES of a batch are drawn: the queue drops the
  // older ones now and then (not at every message), so a burst costs no
  // more than a copy per MAX_MESSAGES arrivals. A hidden tab gets no
  // animation frames: its queue waits, bounded, until the tab is shown.
  if (pending.length >= 2 * MAX_MESSAGES) pending = pending.slice(-MAX_MESSAGES);
  scheduleDraw();
}

// reset: the messages that follow replace the list, and those still in the
// queue are dropped with it.
function reset() {
  pending = [];
  clearFirst = true;
  scheduleDraw();
}

function element(data) {
  // {"author": "rgb(...)", "content": "..."}; a message published by a
  // backend may be any text: shown as it is.
  let m;
  try { m = JSON.parse(data); } catch (e) { m = null; }
  const message = document.createElement('div');
  message.className = 'message';
  const author = document.createElement('div');
  author.className = 'author';
  const content = document.createElement('p');
  content.className = 'content';
  if (m && typeof m.content === 'string') {
    if (typeof m.author === 'string' && colorPattern.test(m.author)) author.style.backgroundColor = m.author;
    content.textContent = m.content; // text, never HTML
  } else {
    message.classList.add('notice');
    content.textContent = data;
  }
  message.append(author, content);
  return message;
}

// atBottom: the user sees the end of the list (within about a message).
function atBottom() {
  return messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
}

// shiftView scrolls the list by dy pixels, to keep what the user reads in
// place when messages above it come or go. The browser scrolls by whole
// pixels, and messages need not be: what it could not move is carried to
// the next shift, so that the errors do not add up.
let viewCarry = 0;
function shiftView(dy) {
  const target = messages.scrollTop + viewCarry + dy;
  messages.scrollTop = target;
  viewCarry = target - messages.scrollTop;
}

// draw adds the queued messages to the list in one DOM update, trims the
// list to MAX_MESSAGES, and scrolls once: to the end if the user was there
// before the batch (as chat apps do), otherwise only to keep what the
// user reads in place.
function draw() {
  frameRequested = false;
  const follow = clearFirst || atBottom();
  const batch = pending.slice(-MAX_MESSAGES);
  pending = [];
  const fragment = document.createDocumentFragment();
  for (const data of batch) fragment.appendChild(element(data));
  if (clearFirst || batch.length === MAX_MESSAGES) {
    messages.replaceChildren(fragment); // the batch alone fills the list
    clearFirst = false;
  } else {
    messages.appendChild(fragment);
    const excess = messages.childElementCount - MAX_MESSAGES;
    if (excess > 0) {
      // The oldest go. If the user reads further up, the view moves up by
      // their height, so that the messages read stay where they were.
      const first = messages.children[excess];
      const removed = follow ? 0 : first.getBoundingClientRect().top - messages.firstElementChild.getBoundingClientRect().top;
      while (messages.firstElementChild !== first) messages.firstElementChild.remove();
      if (removed) shiftView(-removed);
    }
  }
  if (follow) messages.scrollTop = messages.scrollHeight;
}

// --- Receiving ----------------------------------------------------------

// retryDelay grows from 1 to 10 seconds while connecting fails.
let failures = 0;
function retryDelay() {
  return Math.min(10000, 1000 * 2 ** Math.min(failures++, 4));
}

// Server-sent events: the stream is this page's own URL, asked for with
// "Accept: text/event-stream". The browser reconnects by itself, with the
// id of the last message it got (Last-Event-ID).
function receiveSSE() {
  if (typeof EventSource === 'undefined') {
    state.textContent = 'your browser does not support server-sent events: try WebSocket';
    return;
  }
  const sse = new EventSource('/');
  sse.onopen = () => { state.textContent = 'open'; };
  sse.onerror = () => {
    state.textContent = sse.readyState === EventSource.CONNECTING ? 'reconnecting…' : 'closed';
  };
  sse.addEventListener('reset', reset); // the history follows
  sse.onmessage = (e) => add(e.data);
}

// WebSocket: on /, with ?last=<id> when reconnecting. Each message is
// {"id", "data"} (and "event" when it has a name), or {"event": "reset"}
// without an id.
function receiveWebSocket() {
  let last = '';
  const connect = () => {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(scheme + '//' + location.host + '/' + (last ? '?last=' + encodeURIComponent(last) : ''));
    ws.onopen = () => { state.textContent = 'open'; failures = 0; };
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.id) last = m.id;
      if (m.event === 'reset' && !m.id) reset();
      if (!m.event) add(m.data); // a named event is not a chat message (as for an EventSource)
    };
    ws.onclose = () => {
      const delay = retryDelay();
      state.textContent = 'reconnecting…';
      setTimeout(connect, delay);
    };
  };
  connect();
}

// Long polling: GET /poll, with ?cursor=<id> once there is one. An answer
// is a JSON array of {"id", "data"} and the next cursor (X-Cursor); 204:
// nothing new; 410: messages were lost, start over with the history.
async function receivePolling() {
  let cursor = '';
  state.textContent = 'open';
  for (;;) {
    try {
      const response = await fetch('/poll' + (cursor ? '?cursor=' + encodeURIComponent(cursor) : ''), {cache: 'no-store'});
      if (response.status === 200) {
        const items = await response.json();
        if (!cursor) reset(); // an answer without cursor starts with the history
        for (const m of items) if (!m.event) add(m.data); // a named event is not a chat message
        cursor = response.headers.get('X-Cursor') || cursor;
        failures = 0;
        state.textContent = 'open';
      } else if (response.status === 204) {
        failures = 0; // nothing new: poll again
      } else if (response.status === 410) {
        cursor = ''; // lost: the history again
        reset();
      } else {
        throw new Error(response.status + ' ' + response.statusText);
      }
    } catch (e) {
      state.textContent = 'reconnecting…';
      await new Promise((resolve) => setTimeout(resolve, retryDelay()));
    }
  }
}

if (via === 'ws') receiveWebSocket();
else if (via === 'poll') receivePolling();
else receiveSSE();

// --- Sending ------------------------------------------------------------
//
// Two requests sent at once may arrive in either order, so the messages
// wait in a queue and the next one is sent only when the previous one has
// completed. A server error (503 while Redis is away) sends it again.

const messagesList = [];
let inProgress = false;

function showQueue() {
  queueInfo.textContent = messagesList.length ? messagesList.length + ' to send' : '';
}

async function sendFirstMessage() {
  if (!messagesList.length || inProgress) return;
  inProgress = true;
  showQueue();
  try {
    const response = await fetch('/send', {
      method: 'POST',
      body: new URLSearchParams({message: messagesList[0]}),
    });
    if (response.status >= 500) throw new Error(response.statusText);
    if (!response.ok) alert('Not sent: ' + (await response.text())); // a bad message: drop it
    messagesList.shift();
    showMyColor(); // the first message may have set the cookie
  } catch (e) {
    // The network or the server failed: try the same message again in a second.
    queueInfo.textContent = 'send failed, retrying…';
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  inProgress = false;
  sendFirstMessage();
  showQueue();
}

function submit() {
  const mss = textarea.value;
  if (mss.trim()) {
    messagesList.push(mss);
    sendFirstMessage();
    textarea.value = '';
  }
}
document.querySelector('#send').addEventListener('click', submit);
textarea.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); submit(); }
});
