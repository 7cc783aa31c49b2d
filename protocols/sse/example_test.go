package sse_test

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/workerman-go/workerman/protocols/sse"
)

func ExampleEvent_AppendText() {
	var wire []byte
	events := []sse.Event{
		{Data: "hello"},
		// A CR, LF or CRLF in Data starts a new data line.
		{ID: "42", Event: "update", Data: "line one\r\nline two"},
		// An id alone: the browser remembers it, and dispatches nothing.
		{ID: "43"},
		// A named event without data still dispatches, with data "".
		{Event: "close", Retry: 5 * time.Second},
		{Comment: "just a comment"},
	}
	for _, e := range events {
		var err error
		if wire, err = e.AppendText(wire); err != nil {
			fmt.Println("error:", err)
			return
		}
	}
	wire = append(wire, sse.Heartbeat...)
	fmt.Print(string(wire))

	_, err := sse.Event{ID: "a\nb"}.MarshalText()
	fmt.Println("error:", err)

	// Output:
	// data: hello
	//
	// id: 42
	// event: update
	// data: line one
	// data: line two
	//
	// id: 43
	//
	// event: close
	// retry: 5000
	// data:
	//
	// : just a comment
	//
	// :
	//
	// error: sse: id contains CR, LF or NUL
}

func ExampleParser() {
	p := sse.Parser{
		MaxSize:   64 << 10,
		OnComment: func(text string) { fmt.Printf("comment %q\n", text) },
	}
	emit := func(e sse.Event) {
		fmt.Printf("event: id %q, type %q, data %q, retry %v\n", e.ID, e.Event, e.Data, e.Retry)
	}
	// Chunks as they might come off a socket: split anywhere, even between
	// the CR and the LF of a line end.
	chunks := []string{
		"\xEF\xBB\xBF: hi\r\nid: 1\r\nevent: add\r\ndata: 7",
		"3\r\ndata: 85\r",
		"\n\r\nretry: 2000\ndata: second\n\nid: 2\n\n",
		"data: never finished\n",
	}
	for _, c := range chunks {
		if err := p.Feed([]byte(c), emit); err != nil {
			fmt.Println("error:", err)
			return
		}
	}
	retry, _ := p.Retry()
	fmt.Printf("last event ID %q, reconnect after %v\n", p.LastEventID(), retry)

	// Output:
	// comment "hi"
	// event: id "1", type "add", data "73\n85", retry 0s
	// event: id "1", type "", data "second", retry 2s
	// last event ID "2", reconnect after 2s
}

func ExampleDecoder() {
	stream := strings.NewReader("data: {\"n\":1}\n\nevent: done\ndata\n\n")
	d := sse.NewDecoder(stream, nil)
	for {
		e, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("%q %q\n", e.Event, e.Data)
	}

	// Output:
	// "" "{\"n\":1}"
	// "done" ""
}
