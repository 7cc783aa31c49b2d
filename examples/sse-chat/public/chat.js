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
  sse.addEventListener('reset', () => { messages.replaceChildren(); });
  sse.onmessage = (ms) => {
    const data = JSON.parse(ms.data); // {"author": "rgb(...)", "content": "..."}
    const message = document.createElement('div');
    message.className = 'message';
    const author = document.createElement('div');
    author.className = 'author';
    author.style.backgroundColor = data.author; // a colour the server checked
    message.appendChild(author);
    const content = document.createElement('p');
    content.className = 'content';
    content.innerHTML = data.content; // HTML-escaped by the server
    message.appendChild(content);
    messages.appendChild(message);
    messages.scrollTop = messages.scrollHeight;
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
