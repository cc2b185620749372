package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/virtual-store/virtual-store/internal/errcode"
)

// boundedPOST is gqlgen's POST transport behind two guards: the body is read
// under a cap (413 REQUEST_TOO_LARGE past it), and a body that does not
// decode as a GraphQL request is refused with 400 BAD_REQUEST, without the
// decoder's details: gqlgen's own answer quotes the whole body back.
type boundedPOST struct {
	transport.POST
	maxBytes int64 // <= 0: no cap
}

func (t boundedPOST) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if t.maxBytes > 0 && r.ContentLength > t.maxBytes {
		t.tooLarge(w)
		return
	}
	src := r.Body
	if t.maxBytes > 0 {
		src = http.MaxBytesReader(w, r.Body, t.maxBytes)
	}
	body, err := io.ReadAll(src)
	if err != nil {
		if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
			t.tooLarge(w)
			return
		}
		writeRefusal(w, http.StatusBadRequest, errcode.BadRequest, "the request body could not be read")
		return
	}
	// The same decoding as gqlgen's, so that what passes here decodes there.
	var params graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		writeRefusal(w, http.StatusBadRequest, errcode.BadRequest, "the body must be a JSON GraphQL request")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	t.POST.Do(w, r, exec)
}

func (t boundedPOST) tooLarge(w http.ResponseWriter) {
	writeRefusal(w, http.StatusRequestEntityTooLarge, errcode.RequestTooLarge, fmt.Sprintf("the request body is over %d bytes", t.maxBytes))
}

// writeRefusal answers a request refused before it became an operation:
// one GraphQL error with its code.
func writeRefusal(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": map[string]string{"code": code}}}})
}
