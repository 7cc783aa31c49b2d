// javascript.info's long-polling chat client.

// Sending messages, a simple POST
function PublishForm(form, url) {

  function sendMessage(message) {
    fetch(url, {
      method: 'POST',
      body: message
    }).then(response => {
      // Not in javascript.info's version: a message the server refuses (413:
      // over 8 KiB) is not lost silently.
      if (!response.ok) alert('Not sent: ' + response.status + ' ' + response.statusText);
    });
  }

  form.onsubmit = function() {
    let message = form.message.value;
    if (message) {
      form.message.value = '';
      sendMessage(message);
    }
    return false;
  };
}

// Receiving messages with long polling
function SubscribePane(elem, url) {

  // Not in javascript.info's version: the cursor. Each answer carries the id
  // of its message in the X-Cursor header; sent back with the next request,
  // it makes the server answer with the message after it, so nothing
  // published between two requests is lost.
  let cursor = '';
  const state = document.getElementById('state');

  // Not in javascript.info's version: a bounded list, drawn in batches. The
  // original appends every message at once and keeps them all: a burst of
  // thousands, or a long session, makes the page slower and slower. Here
  // the messages wait in a queue and are drawn once per animation frame,
  // in one DOM update, and the list keeps the last MAX_MESSAGES.

  // MAX_MESSAGES is how many messages the page shows: the last 500. A
  // reader follows the recent ones; every message kept makes each layout
  // slower and the page bigger.
  const MAX_MESSAGES = 500;
  let pending = []; // messages received and not drawn yet, oldest first
  let frameRequested = false;

  function showMessage(message) {
    pending.push(message);
    // Only the last MAX_MESSAGES of a batch are drawn: the queue drops the
    // older ones now and then (not at every message), so a burst costs no
    // more than a copy per MAX_MESSAGES arrivals. A hidden tab gets no
    // animation frames: its queue waits, bounded, until the tab is shown.
    if (pending.length >= 2 * MAX_MESSAGES) pending = pending.slice(-MAX_MESSAGES);
    if (!frameRequested) {
      frameRequested = true;
      requestAnimationFrame(draw);
    }
  }

  // atBottom: the user sees the end of the list (within about a message).
  function atBottom() {
    return elem.scrollHeight - elem.scrollTop - elem.clientHeight < 40;
  }

  // shiftView scrolls the list by dy pixels, to keep what the user reads in
  // place when messages above it come or go. The browser scrolls by whole
  // pixels, and messages need not be: what it could not move is carried to
  // the next shift, so that the errors do not add up.
  let viewCarry = 0;
  function shiftView(dy) {
    const target = elem.scrollTop + viewCarry + dy;
    elem.scrollTop = target;
    viewCarry = target - elem.scrollTop;
  }

  // draw adds the queued messages to the list in one DOM update, trims the
  // list to MAX_MESSAGES, and scrolls once: to the end if the user was
  // there before the batch (as chat apps do), otherwise only to keep what
  // the user reads in place.
  function draw() {
    frameRequested = false;
    const follow = atBottom();
    const batch = pending.slice(-MAX_MESSAGES);
    pending = [];
    const fragment = document.createDocumentFragment();
    for (const message of batch) {
      let messageElem = document.createElement('div');
      messageElem.append(message); // text, never HTML
      fragment.append(messageElem);
    }
    if (batch.length === MAX_MESSAGES) {
      elem.replaceChildren(fragment); // the batch alone fills the list
    } else {
      elem.append(fragment);
      const excess = elem.childElementCount - MAX_MESSAGES;
      if (excess > 0) {
        // The oldest go. If the user reads further up, the view moves up by
        // their height, so that the messages read stay where they were.
        const first = elem.children[excess];
        const removed = follow ? 0 : first.getBoundingClientRect().top - elem.firstElementChild.getBoundingClientRect().top;
        while (elem.firstElementChild !== first) elem.firstElementChild.remove();
        if (removed) shiftView(-removed);
      }
    }
    if (follow) elem.scrollTop = elem.scrollHeight;
  }

  function showState(text) {
    if (state) state.textContent = text;
  }

  function pollURL() {
    let u = new URL(url, location.href);
    if (cursor) u.searchParams.set('cursor', cursor);
    return u;
  }

  // The original calls itself again with `await subscribe()`; a loop does the
  // same without a chain of promises that grows with every message.
  async function subscribe() {
    while (true) {
      showState('waiting for a message');
      let response;
      try {
        response = await fetch(pollURL());
      } catch (e) {
        // The server or the network is down: reconnect in one second
        showState('connection lost, retrying…');
        await new Promise(resolve => setTimeout(resolve, 1000));
        continue;
      }

      if (response.status == 502) {
        // Status 502 is a connection timeout error,
        // may happen when the connection was pending for too long,
        // and the remote server or a proxy closed it
        // let's reconnect
        continue;
      } else if (response.status == 204) {
        // No message within the server's timeout: poll again, same cursor
        continue;
      } else if (response.status == 410) {
        // The cursor is older than what the server keeps: some messages were lost
        showMessage('(some messages were lost)');
        cursor = response.headers.get('X-Cursor') || '';
        continue;
      } else if (response.status != 200) {
        // An error - let's show it
        showMessage(response.statusText);
        showState('error, retrying…');
        // Reconnect in one second
        await new Promise(resolve => setTimeout(resolve, 1000));
        continue;
      } else {
        // Get and show the message
        cursor = response.headers.get('X-Cursor') || cursor;
        let message = await response.text();
        showMessage(message);
        // Call subscribe() again to get the next message
        continue;
      }
    }
  }

  subscribe();
}
