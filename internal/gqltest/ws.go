package gqltest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/coder/websocket"
)

// WS is a graphql-ws client (the graphql-transport-ws protocol) on one
// connection, for tests: it initialises with connection params, then runs
// operations by id. It answers the server's pings.
type WS struct {
	c      *websocket.Conn
	ctx    context.Context
	mu     sync.Mutex
	byID   map[string]chan wsEvent
	closed chan struct{}
	// CloseStatus and CloseReason are the server's close frame, once closed.
	CloseStatus websocket.StatusCode
	CloseReason string
}

type wsEvent struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// DialWS connects to url (http:// or ws://) and sends connection_init with
// params; it returns once the server acknowledged, or the error with the
// server's close code when it refused.
func DialWS(ctx context.Context, url string, params map[string]any, header http.Header) (*WS, error) {
	url = strings.Replace(strings.Replace(url, "http://", "ws://", 1), "https://", "wss://", 1)
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(64 << 20)
	w := &WS{c: c, ctx: ctx, byID: map[string]chan wsEvent{}, closed: make(chan struct{})}
	payload, _ := json.Marshal(params)
	if err := w.write(wsEvent{Type: "connection_init", Payload: payload}); err != nil {
		return nil, err
	}
	ev, err := w.read()
	if err != nil {
		return nil, err
	}
	if ev.Type != "connection_ack" {
		return nil, fmt.Errorf("expected connection_ack, got %s", ev.Type)
	}
	go w.loop()
	return w, nil
}

func (w *WS) write(ev wsEvent) error {
	b, _ := json.Marshal(ev)
	return w.c.Write(w.ctx, websocket.MessageText, b)
}

// read is the next message but pings, which it answers.
func (w *WS) read() (wsEvent, error) {
	for {
		_, data, err := w.c.Read(w.ctx)
		if err != nil {
			w.CloseStatus, w.CloseReason = websocket.CloseStatus(err), closeReason(err)
			return wsEvent{}, fmt.Errorf("closed with %d %q: %w", w.CloseStatus, w.CloseReason, err)
		}
		var ev wsEvent
		if err := json.Unmarshal(data, &ev); err != nil {
			return wsEvent{}, err
		}
		if ev.Type == "ping" {
			_ = w.write(wsEvent{Type: "pong"})
			continue
		}
		return ev, nil
	}
}

func closeReason(err error) string {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Reason
	}
	return ""
}

// loop hands each message to its operation until the connection closes.
func (w *WS) loop() {
	defer close(w.closed)
	for {
		ev, err := w.read()
		if err != nil {
			return
		}
		w.mu.Lock()
		ch, ok := w.byID[ev.ID]
		w.mu.Unlock()
		if ok {
			ch <- ev
		}
	}
}

// Operation is one operation's messages.
type Operation struct {
	w  *WS
	id string
	ch chan wsEvent
}

// Subscribe starts an operation with a new id.
func (w *WS) Subscribe(id, query string, vars map[string]any) (*Operation, error) {
	ch := make(chan wsEvent, 256)
	w.mu.Lock()
	w.byID[id] = ch
	w.mu.Unlock()
	payload, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err := w.write(wsEvent{Type: "subscribe", ID: id, Payload: payload}); err != nil {
		return nil, err
	}
	return &Operation{w: w, id: id, ch: ch}, nil
}

// Next is the operation's next result; io.EOF after "complete". An "error"
// message comes back as a Response holding its errors.
func (o *Operation) Next() (Response, error) {
	select {
	case ev := <-o.ch:
		switch ev.Type {
		case "complete":
			return Response{}, io.EOF
		case "error":
			r := Response{Raw: ev.Payload}
			err := json.Unmarshal(ev.Payload, &r.Errors)
			return r, err
		default:
			r := Response{Raw: ev.Payload}
			return r, r.decode()
		}
	case <-o.w.closed:
		return Response{}, fmt.Errorf("connection closed with %d %q", o.w.CloseStatus, o.w.CloseReason)
	case <-o.w.ctx.Done():
		return Response{}, o.w.ctx.Err()
	}
}

// Complete stops the operation from the client's side.
func (o *Operation) Complete() error {
	return o.w.write(wsEvent{Type: "complete", ID: o.id})
}

// Closed is closed when the server closed the connection.
func (w *WS) Closed() <-chan struct{} { return w.closed }

// Close closes the connection normally.
func (w *WS) Close() { _ = w.c.Close(websocket.StatusNormalClosure, "") }
