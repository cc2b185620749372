package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/router/engine"
	"github.com/virtual-store/virtual-store/router/execute"
)

// GraphQL over WebSocket, the graphql-transport-ws protocol of graphql-ws
// (github.com/enisdenjo/graphql-ws, PROTOCOL.md): connection_init (with the
// token in its payload, since browsers cannot set headers on a WebSocket)
// and connection_ack, then subscribe/next/error/complete per operation id,
// and ping/pong both ways. The close codes are the protocol's.
const wsProtocol = "graphql-transport-ws"

// Close codes of graphql-transport-ws (and RFC 6455's).
const (
	closeBadRequest    websocket.StatusCode = 4400
	closeUnauthorized  websocket.StatusCode = 4401
	closeForbidden     websocket.StatusCode = 4403
	closeNotAcceptable websocket.StatusCode = 4406
	closeInitTimeout   websocket.StatusCode = 4408
	closeDuplicateID   websocket.StatusCode = 4409
	closeTooManyInits  websocket.StatusCode = 4429
	closeInternalError websocket.StatusCode = 4500
	closeGoingAway                          = websocket.StatusGoingAway
)

// closeTooSlow is 1013 (try again later): graphql-ws clients reconnect
// after it, as a browser tab that stalled should once it runs again.
const closeTooSlow = websocket.StatusTryAgainLater

type wsMessage struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// isWebSocket reports a WebSocket upgrade request.
func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// serveWS upgrades r and serves its subscriptions until either side closes.
func (g *gateway) serveWS(w http.ResponseWriter, r *http.Request) {
	subs := g.subscriptions
	client := g.clientOf(r.Context(), r)
	if refused := subs.connect(client); refused != nil {
		writeJSON(w, refusalStatus(refused.Code), &execute.Response{Errors: refusalErrors(refused)})
		return
	}
	defer subs.disconnect(client)
	// The server's read timeout guards request bodies; a WebSocket lives on.
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	opts := &websocket.AcceptOptions{Subprotocols: []string{wsProtocol}}
	opts.OriginPatterns, opts.InsecureSkipVerify = originPatterns(g.cfg.CORS.AllowedOrigins)
	c, err := websocket.Accept(w, r, opts)
	if err != nil {
		return // Accept answered the client
	}
	if c.Subprotocol() != wsProtocol {
		_ = c.Close(closeNotAcceptable, "Subprotocol not acceptable: use "+wsProtocol)
		return
	}
	c.SetReadLimit(g.cfg.Limits.MaxBodyBytes)
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()
	s := &wsSession{g: g, r: r, c: c, ctx: ctx, cancel: cancel, out: make(chan []byte, subs.cfg.SendQueue), ops: map[string]*wsOp{}}
	s.serve()
}

// originPatterns turns the CORS origins into the WebSocket's origin check:
// a browser page may open one only from an allowed origin ("*": any).
func originPatterns(origins []string) (patterns []string, any bool) {
	for _, o := range origins {
		if o == "*" {
			return nil, true
		}
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			patterns = append(patterns, u.Host)
		}
	}
	return patterns, false
}

// wsSession is one WebSocket connection.
type wsSession struct {
	g      *gateway
	r      *http.Request
	c      *websocket.Conn
	ctx    context.Context
	cancel context.CancelFunc
	out    chan []byte

	mu     sync.Mutex
	authed context.Context // the caller's context after connection_init
	authz  string          // the authorization it was given, checked again each heartbeat
	client string
	ops    map[string]*wsOp
	closed bool
}

// wsOp is one running operation; its own end removes it, never a later
// operation that reuses its id.
type wsOp struct{ stop context.CancelFunc }

func (s *wsSession) serve() {
	subs := s.g.subscriptions
	go s.write()
	go s.keepAlive()
	msgs := make(chan wsMessage)
	go s.read(msgs)
	initTimer := time.NewTimer(subs.cfg.InitTimeout)
	defer initTimer.Stop()
	var expires <-chan time.Time
	draining := subs.draining
	for {
		select {
		case <-s.ctx.Done():
			s.end()
			return
		case <-draining:
			draining = nil
			s.close(closeGoingAway, "the router is restarting; reconnect")
		case <-initTimer.C:
			if s.caller() == nil {
				s.close(closeInitTimeout, "Connection initialisation timeout")
			}
		case <-expires:
			expires = nil
			s.close(closeForbidden, "Forbidden: the access token expired; reconnect with a fresh one")
		case m := <-msgs:
			if exp := s.handle(m); exp != nil {
				expires = exp
			}
		}
	}
}

// read hands the client's messages to serve until the connection fails.
func (s *wsSession) read(msgs chan<- wsMessage) {
	for {
		typ, data, err := s.c.Read(s.ctx)
		if err != nil {
			s.cancel()
			return
		}
		var m wsMessage
		if typ != websocket.MessageText || json.Unmarshal(data, &m) != nil || m.Type == "" {
			s.close(closeBadRequest, "Invalid message")
			return
		}
		select {
		case msgs <- m:
		case <-s.ctx.Done():
			return
		}
	}
}

// handle acts on one message; after connection_init it returns when the
// caller's token expires.
func (s *wsSession) handle(m wsMessage) <-chan time.Time {
	switch m.Type {
	case "connection_init":
		if s.caller() != nil {
			s.close(closeTooManyInits, "Too many initialisation requests")
			return nil
		}
		authz := tokenOf(m.Payload, s.r.Header.Get("Authorization"))
		ctx, reason, err := s.g.identify(s.r, authz)
		if err != nil {
			s.g.metrics.authFail.WithLabelValues(reason).Inc()
			s.close(closeForbidden, "Forbidden: "+err.Error())
			return nil
		}
		ctx, _, _ = expiring(ctx)
		s.mu.Lock()
		s.authed, s.authz, s.client = ctx, authz, s.g.clientOf(ctx, s.r)
		s.mu.Unlock()
		s.send(wsMessage{Type: "connection_ack"})
		if d, ok := ctx.Deadline(); ok {
			return time.After(time.Until(d))
		}
	case "ping":
		s.send(wsMessage{Type: "pong", Payload: m.Payload})
	case "pong":
	case "subscribe":
		s.subscribe(m)
	case "complete":
		s.mu.Lock()
		if op, ok := s.ops[m.ID]; ok {
			op.stop()
			delete(s.ops, m.ID)
		}
		s.mu.Unlock()
	default:
		s.close(closeBadRequest, "Invalid message type "+m.Type)
	}
	return nil
}

// tokenOf is the authorization a connection_init payload carries
// ({"Authorization": "Bearer …"}, any case, or {"token": "…"}), else the
// upgrade request's header.
func tokenOf(payload json.RawMessage, header string) string {
	var params map[string]any
	if json.Unmarshal(payload, &params) == nil {
		for k, v := range params {
			if t, ok := v.(string); ok && t != "" {
				switch strings.ToLower(k) {
				case "authorization":
					return t
				case "token", "accesstoken", "access_token":
					return "Bearer " + t
				}
			}
		}
	}
	return header
}

func (s *wsSession) caller() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authed
}

// subscribe starts operation m.ID.
func (s *wsSession) subscribe(m wsMessage) {
	subs := s.g.subscriptions
	ctx := s.caller()
	if ctx == nil {
		s.close(closeUnauthorized, "Unauthorized")
		return
	}
	var req engine.Request
	if m.ID == "" || json.Unmarshal(m.Payload, &req) != nil {
		s.close(closeBadRequest, "Invalid subscribe message")
		return
	}
	// Each operation draws from the rate limits as a request would.
	if refused := s.g.limitOperation(ctx, s.r); refused != nil {
		s.sendErrors(m.ID, refusalErrors(refused))
		return
	}
	s.mu.Lock()
	if _, dup := s.ops[m.ID]; dup {
		s.mu.Unlock()
		s.close(closeDuplicateID, "Subscriber for "+m.ID+" already exists")
		return
	}
	if len(s.ops) >= subs.cfg.MaxPerConnection {
		s.mu.Unlock()
		s.sendErrors(m.ID, refusalErrors(engine.Refuse(errcode.RateLimited, "at most %d operations at once on one connection", subs.cfg.MaxPerConnection)))
		return
	}
	opCtx, stop := context.WithCancel(ctx)
	me := &wsOp{stop: stop}
	s.ops[m.ID] = me
	client := s.client
	s.mu.Unlock()
	// The operation's end, however it comes, frees its id and slot.
	done := func() {
		stop()
		s.mu.Lock()
		if s.ops[m.ID] == me {
			delete(s.ops, m.ID)
		}
		s.mu.Unlock()
	}
	if refused := subs.admit(client); refused != nil {
		done()
		s.sendErrors(m.ID, refusalErrors(refused))
		return
	}
	go func() {
		defer subs.release(client)
		defer done()
		ch, refused := subs.start(opCtx, s.r, &req)
		if refused != nil {
			s.sendErrors(m.ID, refusalErrors(refused))
			return
		}
		for resp := range ch {
			if !s.next(m.ID, resp) {
				return
			}
		}
		if opCtx.Err() == nil { // not after the client's own complete
			s.send(wsMessage{Type: "complete", ID: m.ID})
		}
	}()
}

func (s *wsSession) next(id string, resp *execute.Response) bool {
	body, err := encodeResponse(resp)
	if err != nil {
		s.g.log.Error("encode a subscription event", "err", err)
		s.close(closeInternalError, "Internal server error")
		return false
	}
	s.g.subscriptions.events.Inc()
	return s.send(wsMessage{Type: "next", ID: id, Payload: body})
}

func (s *wsSession) sendErrors(id string, errs []execute.Error) {
	body, _ := json.Marshal(errs)
	s.send(wsMessage{Type: "error", ID: id, Payload: body})
}
