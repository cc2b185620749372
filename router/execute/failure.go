package execute

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"

	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/router/plan"
)

// What a subgraph's errors and failures become in the client's response.

func subgraphErr(f *plan.Fetch, se subgraphError, path []any) Error {
	ext := map[string]any{}
	for k, v := range se.Extensions {
		ext[k] = v
	}
	if _, ok := ext["serviceName"]; !ok {
		ext["serviceName"] = f.Graph
	}
	return Error{Message: se.Message, Path: path, Extensions: ext}
}

func (r *run) fetchFailed(f *plan.Fetch, err error, targets []*target) {
	// The client learns which subgraph failed and how, in words that name no
	// internal host, address or port; the whole error goes to the log.
	slog.Warn("subgraph request failed", "subgraph", f.Graph, "err", err)
	e := Error{Message: fmt.Sprintf("subgraph %s is unavailable", f.Graph),
		Extensions: map[string]any{"code": errcode.SubrequestHTTPError, "serviceName": f.Graph, "reason": failureReason(err)}}
	if len(targets) > 0 {
		e.Path = targets[0].path
	}
	r.errors = append(r.errors, e)
}

// failureReason says how a subgraph request failed without the details of
// the network behind the router (URLs, addresses, ports).
func failureReason(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "connection lost"
	case errors.Is(err, errResponseTooLarge):
		return "response too large"
	case errors.Is(err, errNotGraphQL):
		return "invalid response"
	}
	var tlsErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	if errors.As(err, &tlsErr) || errors.As(err, &recordErr) || strings.Contains(err.Error(), "tls: ") {
		return "TLS handshake failed"
	}
	return "request failed"
}
