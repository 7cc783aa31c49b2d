// The page of the SSE chat: messages go out with POST /send, one at a time,
// and come back, from every user, over the event stream.

const messages = document.querySelector('.messages');
const textarea = document.querySelector('.form > textarea');
const state = document.getElementById('state');
const queueInfo = document.getElementById('queue');

// The user's colour is in the cookie "author" (URL-encoded, as PHP writes it).
function showMyColor() {
  const m = document.cookie.match(/(?:^|;\s*)author=([^;]*)/);
  if (m) document.querySelector('.author.me').style.backgroundColor = decodeURIComponent(m[1]);
}
showMyColor();

// The message list. Messages arrive one by one, or by the thousand (a
// burst from many users): drawing each as it comes, and keeping them all,
// would freeze the page. So arrivals wait in a queue and are drawn in
// batches, one DOM update per animation frame, and the list keeps the last
// MAX_MESSAGES.

// MAX_MESSAGES is how many messages the page shows: the last 500. A reader
// follows the recent ones; every message kept makes each layout slower and
// the page bigger, without end in a long session. (A new page gets the
// server's history, its last 100.)
const MAX_MESSAGES = 500;

let pending = [];        // messages received and not drawn yet, oldest first
let clearFirst = false;  // a "reset" came: the next frame empties the list first
let frameRequested = false;

function scheduleDraw() {
  if (!frameRequested) {
    frameRequested = true;
    requestAnimationFrame(draw);
  }
}

// add queues a message ({author, content}) for the next frame.
function add(message) {
  pending.push(message);
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
  const message = document.createElement('div');
  message.className = 'message';
  const author = document.createElement('div');
  author.className = 'author';
  author.style.backgroundColor = data.author; // a colour the server checked
  message.appendChild(author);
  const content = document.createElement('p');
  content.className = 'content';
  content.innerHTML = data.content; // HTML-escaped by the server: shown as text
  message.appendChild(content);
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

// Receiving. The stream is this page's own URL, asked for with
// "Accept: text/event-stream". When the connection drops the browser
// reconnects by itself, with the id of the last message it got
// (Last-Event-ID), and the server sends the ones it missed.
if (typeof EventSource === 'undefined') {
  state.textContent = "your browser does not support server-sent events";
} else {
  const sse = new EventSource('/');
  sse.onopen = () => { state.textContent = 'open'; };
  sse.onerror = () => {
    state.textContent = sse.readyState === EventSource.CONNECTING ? 'reconnecting…' : 'closed';
  };
  // "reset": the history follows, replacing what the page shows.
  sse.addEventListener('reset', reset);
  sse.onmessage = (ms) => {
    add(JSON.parse(ms.data)); // {"author": "rgb(...)", "content": "..."}
  };
}

// Sending. Two requests sent at once may arrive in either order, so the
// messages wait in a queue and the next one is sent only when the previous
// one has completed.
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
