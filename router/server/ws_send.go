package server

import (
	"context"
	"encoding/json"
	"time"

	"github.com/coder/websocket"
)

// A WebSocket session's writing side: the send queue and its writer, the
// heartbeat, and closing.

// send queues a message for the writer. When the queue is full the caller
// waits (a subscription's own stream waits with it, nobody else's); a client
// that reads nothing for the stall timeout is disconnected.
func (s *wsSession) send(m wsMessage) bool {
	b, _ := json.Marshal(m)
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return false
	}
	select {
	case s.out <- b:
		return true
	default:
	}
	stalled := time.NewTimer(s.g.subscriptions.cfg.StallTimeout)
	defer stalled.Stop()
	select {
	case s.out <- b:
		return true
	case <-stalled.C:
		s.close(closeTooSlow, "too slow: messages were not read")
	case <-s.ctx.Done():
	}
	return false
}

// write sends the queued messages, one at a time.
func (s *wsSession) write() {
	for {
		select {
		case b := <-s.out:
			ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
			err := s.c.Write(ctx, websocket.MessageText, b)
			cancel()
			if err != nil {
				s.cancel()
				return
			}
		case <-s.ctx.Done():
			return
		}
	}
}

// keepAlive pings an idle client now and then: proxies keep the
// connection, and a dead client is found (its writes fail).
func (s *wsSession) keepAlive() {
	t := time.NewTicker(s.g.subscriptions.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.mu.Lock()
			authz := s.authz
			s.mu.Unlock()
			if !s.g.stillValid(s.r, authz) {
				s.close(closeForbidden, "Forbidden: the access token is no longer valid (signed out?)")
				return
			}
			s.send(wsMessage{Type: "ping"})
		case <-s.ctx.Done():
			return
		}
	}
}

// close ends the connection with a protocol close code.
func (s *wsSession) close(code websocket.StatusCode, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked(code, reason)
}

func (s *wsSession) closeLocked(code websocket.StatusCode, reason string) {
	if s.closed {
		return
	}
	s.closed = true
	for _, op := range s.ops {
		op.stop()
	}
	if len(reason) > 120 { // a close frame's reason holds 123 bytes
		reason = reason[:120]
	}
	go func() {
		// Close writes the close frame and waits for the client's briefly.
		_ = s.c.Close(code, reason)
		s.cancel()
	}()
}

// end stops every operation once the connection is gone.
func (s *wsSession) end() {
	s.mu.Lock()
	for _, op := range s.ops {
		op.stop()
	}
	s.closed = true
	s.mu.Unlock()
	_ = s.c.CloseNow()
}
