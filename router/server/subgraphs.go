package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/virtual-store/virtual-store/router/compose"
	"github.com/virtual-store/virtual-store/router/config"
)

// Where a supergraph comes from: a file, or the subgraphs themselves, each
// asked for its schema (`_service { sdl }`) and the answers composed.

// ReadSupergraph returns the supergraph of cfg for the tools (`router
// compose`, `router plan`, `router schema`): the file, or the composition
// of the subgraphs, waiting up to a minute for those still starting.
func ReadSupergraph(ctx context.Context, cfg config.Config) (string, error) {
	if cfg.Supergraph != "" {
		return readSupergraphFile(cfg.Supergraph)
	}
	src, err := identity(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return "", err
	}
	list, err := compose.ParseList(cfg.Subgraphs)
	if err != nil {
		return "", err
	}
	return composeWaiting(ctx, sdlClient(src), list)
}

func readSupergraphFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read the supergraph: %w", err)
	}
	return string(b), nil
}

// composeWaiting composes the subgraphs, waiting up to a minute for those
// that are still starting; a composition error ends it at once.
func composeWaiting(ctx context.Context, client *http.Client, list []compose.Subgraph) (string, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		sdl, err := composeOnce(ctx, client, list)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return sdl, err
		}
		var composition compose.Errors
		if errors.As(err, &composition) {
			return "", err
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// composeOnce asks every subgraph for its schema and composes them.
func composeOnce(ctx context.Context, client *http.Client, list []compose.Subgraph) (string, error) {
	subgraphs, err := fetchSDLs(ctx, client, list)
	if err != nil {
		return "", err
	}
	return compose.Compose(subgraphs)
}

// fetchSDLs asks every subgraph for `_service { sdl }`.
func fetchSDLs(ctx context.Context, client *http.Client, subgraphs []compose.Subgraph) ([]compose.Subgraph, error) {
	out := make([]compose.Subgraph, len(subgraphs))
	for i, s := range subgraphs {
		sdl, err := fetchSDL(ctx, client, s.URL)
		if err != nil {
			return nil, fmt.Errorf("subgraph %s (%s): %w", s.Name, s.URL, err)
		}
		out[i] = compose.Subgraph{Name: s.Name, URL: s.URL, SDL: sdl}
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
