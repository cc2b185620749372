package gqltest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/virtual-store/virtual-store/internal/sse"
)

// Stream is a subscription over GraphQL over SSE: its answers as they come.
type Stream struct {
	Status int
	Header http.Header
	body   io.ReadCloser
	events *sse.Reader
	cancel context.CancelFunc
}

// Subscribe starts a subscription over SSE (a POST accepting
// text/event-stream) with c's headers. An answer that is no event stream
// (a refusal before the subscription started) is an error holding it.
func (c Client) Subscribe(ctx context.Context, query string, vars map[string]any) (*Stream, error) {
	body, err := json.Marshal(request{Query: query, Variables: vars})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", sse.ContentType)
	for k, vs := range c.Header {
		req.Header[k] = vs
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), sse.ContentType) {
		defer cancel()
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, &NotAStream{Status: resp.StatusCode, Raw: raw}
	}
	return &Stream{Status: resp.StatusCode, Header: resp.Header, body: resp.Body, events: sse.NewReader(resp.Body, 16<<20), cancel: cancel}, nil
}

// NotAStream is a subscription refused with a plain answer.
type NotAStream struct {
	Status int
	Raw    []byte
}

func (e *NotAStream) Error() string {
	return fmt.Sprintf("no event stream: status %d: %s", e.Status, e.Raw)
}

// Response decodes the refusal as a GraphQL response.
func (e *NotAStream) Response() Response {
	r := Response{Status: e.Status, Raw: e.Raw}
	_ = r.decode()
	return r
}

// Next is the next answer; io.EOF once the server completed the stream.
func (s *Stream) Next() (Response, error) {
	for {
		ev, err := s.events.Next()
		if err != nil {
			return Response{}, err
		}
		switch ev.Name {
		case "complete":
			return Response{}, io.EOF
		case "next", "":
			r := Response{Status: s.Status, Header: s.Header, Raw: ev.Data}
			return r, r.decode()
		}
	}
}

// Close ends the subscription from the client's side.
func (s *Stream) Close() {
	s.cancel()
	_ = s.body.Close()
}
