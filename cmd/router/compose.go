package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/router/compose"
	"github.com/virtual-store/virtual-store/router/execute"
	"github.com/virtual-store/virtual-store/router/server"
)

// defaultSubgraphs is the local store, as `make run` starts it.
const defaultSubgraphs = "user=http://127.0.0.1:4001/graphql,product=http://127.0.0.1:4002/graphql,order=http://127.0.0.1:4003/graphql"

// composeFromEnv fetches the SDLs of ROUTER_SUBGRAPHS and composes them,
// waiting up to a minute for subgraphs that are still starting.
func composeFromEnv(ctx context.Context) (string, error) {
	list, err := compose.ParseList(envOr("ROUTER_SUBGRAPHS", defaultSubgraphs))
	if err != nil {
		return "", err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		sdl, err := composeOnce(ctx, list)
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

func composeOnce(ctx context.Context, list []compose.Subgraph) (string, error) {
	subgraphs, err := compose.FetchSDLs(ctx, &http.Client{Timeout: 10 * time.Second}, list)
	if err != nil {
		return "", err
	}
	return compose.Compose(subgraphs)
}

// pollSubgraphs recomposes every interval and swaps in a changed supergraph;
// on any error the current one stays.
func pollSubgraphs(ctx context.Context, h *server.Handler, current string, interval time.Duration, transport *execute.Transport, log *slog.Logger) error {
	list, err := compose.ParseList(envOr("ROUTER_SUBGRAPHS", defaultSubgraphs))
	if err != nil {
		return err
	}
	return service.Every(ctx, interval, func(ctx context.Context) {
		sdl, err := composeOnce(ctx, list)
		if err != nil {
			log.Warn("recomposition failed; keeping the current supergraph", "err", err)
			return
		}
		if sdl == current {
			return
		}
		e, err := server.NewEngine(sdl, transport)
		if err != nil {
			log.Warn("new supergraph rejected; keeping the current one", "err", err)
			return
		}
		h.Swap(e)
		current = sdl
		log.Info("supergraph updated")
	})
}

func init() {
	// Fail fast on a malformed interval rather than polling wrongly.
	if v := os.Getenv("ROUTER_POLL_INTERVAL"); v != "" {
		if _, err := time.ParseDuration(v); err != nil {
			fmt.Fprintln(os.Stderr, "router: ROUTER_POLL_INTERVAL:", err)
			os.Exit(2)
		}
	}
}
