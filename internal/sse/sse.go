// Package sse reads and writes server-sent events (text/event-stream), the
// framing of GraphQL over SSE: the router subscribes to subgraphs with it,
// answers its own clients with it, and the tests read it.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// ContentType is the media type of an event stream.
const ContentType = "text/event-stream"

// Event is one server-sent event.
type Event struct {
	Name string // "next", "complete", ...; empty for an unnamed event
	Data []byte // the data lines, joined by "\n"
}

// ErrTooLarge is an event longer than the Reader's limit.
var ErrTooLarge = errors.New("server-sent event too large")

// Reader reads the events of a stream.
type Reader struct {
	r   *bufio.Reader
	max int
}

// NewReader reads events of at most max bytes each from r.
func NewReader(r io.Reader, max int) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 4096), max: max}
}

// Next returns the next event, skipping comments (keep-alives) and blank
// separators; io.EOF when the stream ends between events.
func (r *Reader) Next() (Event, error) {
	var ev Event
	var data bytes.Buffer
	started, size := false, 0
	for {
		line, err := r.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: gather it, within the limit.
			full := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				if len(full) > r.max {
					return Event{}, ErrTooLarge
				}
				line, err = r.r.ReadSlice('\n')
				full = append(full, line...)
			}
			line = full
		}
		if err != nil && (len(line) == 0 || !errors.Is(err, io.EOF)) {
			if errors.Is(err, io.EOF) && started {
				return Event{}, io.ErrUnexpectedEOF
			}
			return Event{}, err
		}
		size += len(line)
		if size > r.max {
			return Event{}, ErrTooLarge
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			if started {
				ev.Data = data.Bytes()
				return ev, nil
			}
			size = 0
			continue
		}
		if line[0] == ':' {
			continue // a comment: keep-alive
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "event":
			ev.Name, started = string(value), true
		case "data":
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.Write(value)
			started = true
		}
	}
}

// Write writes one event and flushes it to the client (when w can).
// data must not contain a newline (JSON from encoding/json never does).
func Write(w io.Writer, name string, data []byte) error {
	if bytes.IndexByte(data, '\n') >= 0 {
		return fmt.Errorf("sse: event data with a newline")
	}
	var b bytes.Buffer
	if name != "" {
		b.WriteString("event: ")
		b.WriteString(name)
		b.WriteByte('\n')
	}
	b.WriteString("data: ")
	b.Write(data)
	b.WriteString("\n\n")
	if _, err := w.Write(b.Bytes()); err != nil {
		return err
	}
	return flush(w)
}

// Comment writes a comment line (a keep-alive) and flushes it.
func Comment(w io.Writer, text string) error {
	if _, err := io.WriteString(w, ": "+text+"\n\n"); err != nil {
		return err
	}
	return flush(w)
}

func flush(w io.Writer) error {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	return nil
}
