package compose

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ParseList reads "name=url,name=url" (ROUTER_SUBGRAPHS).
func ParseList(s string) ([]Subgraph, error) {
	var out []Subgraph
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, url, ok := strings.Cut(part, "=")
		if !ok || name == "" || url == "" {
			return nil, fmt.Errorf("subgraph %q: want name=url", part)
		}
		out = append(out, Subgraph{Name: name, URL: url})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no subgraphs configured")
	}
	return out, nil
}

// FetchSDLs asks every subgraph for `_service { sdl }`.
func FetchSDLs(ctx context.Context, client *http.Client, subgraphs []Subgraph) ([]Subgraph, error) {
	out := make([]Subgraph, len(subgraphs))
	for i, s := range subgraphs {
		sdl, err := fetchSDL(ctx, client, s.URL)
		if err != nil {
			return nil, fmt.Errorf("subgraph %s (%s): %w", s.Name, s.URL, err)
		}
		out[i] = Subgraph{Name: s.Name, URL: s.URL, SDL: sdl}
	}
	return out, nil
}

func fetchSDL(ctx context.Context, client *http.Client, url string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte(`{"query":"{ _service { sdl } }"}`)))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Service struct {
				SDL string `json:"sdl"`
			} `json:"_service"`
		} `json:"data"`
		Errors []struct{ Message string } `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", fmt.Errorf("answered %d without GraphQL JSON", resp.StatusCode)
	}
	if len(body.Errors) > 0 || body.Data.Service.SDL == "" {
		return "", fmt.Errorf("no SDL in the answer (%v)", body.Errors)
	}
	return body.Data.Service.SDL, nil
}
