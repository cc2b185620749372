package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/router/compose"
)

// composeWaiting fetches the subgraphs' SDLs and composes them, waiting up
// to a minute for subgraphs that are still starting.
func composeWaiting(ctx context.Context, subgraphs string, client *http.Client) (string, error) {
	list, err := compose.ParseList(subgraphs)
	if err != nil {
		return "", err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		sdl, err := composeOnce(ctx, client, list)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return sdl, err
		}
		if _, isComposition := err.(compose.Errors); isComposition {
			return "", err
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func composeOnce(ctx context.Context, client *http.Client, list []compose.Subgraph) (string, error) {
	subgraphs, err := compose.FetchSDLs(ctx, client, list)
	if err != nil {
		return "", err
	}
	return compose.Compose(subgraphs)
}

// pollSubgraphs composes every interval and loads a changed supergraph; on
// any error the current one stays. The first composition waits for the
// subgraphs to come up (the router is not ready until it succeeds).
func pollSubgraphs(ctx context.Context, subgraphs string, client *http.Client, interval time.Duration, load func(sdl string) error, log *slog.Logger) error {
	list, err := compose.ParseList(subgraphs)
	if err != nil {
		return err
	}
	current := ""
	step := func(ctx context.Context) {
		sdl, err := composeOnce(ctx, client, list)
		if err != nil {
			if current == "" {
				log.Warn("waiting for the subgraphs to compose", "err", err)
			} else {
				log.Warn("recomposition failed; keeping the current supergraph", "err", err)
			}
			return
		}
		if sdl == current {
			return
		}
		if err := load(sdl); err != nil {
			log.Warn("new supergraph rejected; keeping the current one", "err", err)
			return
		}
		if current != "" {
			log.Info("supergraph updated")
		}
		current = sdl
	}
	// Until the first supergraph, retry quickly; then poll at the interval.
	for current == "" {
		step(ctx)
		if current != "" {
			break
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(500 * time.Millisecond):
		}
	}
	return service.Every(ctx, interval, step)
}
