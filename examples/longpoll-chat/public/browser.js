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

  function showMessage(message) {
    let messageElem = document.createElement('div');
    messageElem.append(message);
    elem.append(messageElem);
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
