package server

import (
	"context"
	"fmt"
	"time"

	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/router/compose"
	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/engine"
)

// Load reads the supergraph (the file, or the subgraphs composed once,
// without waiting for any still starting) and serves it from now on; call
// it again to reload. An unchanged supergraph is kept as it is; on any
// error the current one stays.
func (s *Server) Load(ctx context.Context) error {
	var sdl string
	var err error
	if s.cfg.Supergraph != "" {
		sdl, err = readSupergraphFile(s.cfg.Supergraph)
	} else {
		var list []compose.Subgraph
		if list, err = compose.ParseList(s.cfg.Subgraphs); err == nil {
			sdl, err = composeOnce(ctx, s.sdlClient, list)
		}
	}
	if err != nil {
		return err
	}
	_, err = s.use(sdl)
	return err
}

// use builds the engine of a supergraph and swaps it in, with what goes
// with it: the subgraphs' names (statement audiences, metrics) and
// per-subgraph timeouts. It reports whether sdl was new.
func (s *Server) use(sdl string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sdl == s.current {
		return false, nil
	}
	e, err := engine.New(sdl, engine.Options{Transport: s.transport, Limits: s.cfg.Limits,
		OverrideLabels: s.cfg.OverrideLabels, NoIntrospection: !s.cfg.Introspection})
	if err != nil {
		return false, err
	}
	names := map[string]string{}
	timeouts := map[string]time.Duration{}
	for _, g := range e.Supergraph.Graphs {
		if !s.cfg.AllowPlaintextSubgraphs && config.PlaintextURL(g.URL) {
			return false, fmt.Errorf("subgraph %s at %s is plain HTTP and allow_plaintext_subgraphs is off", g.Name, g.URL)
		}
		names[g.URL] = g.Name
		if d, ok := s.cfg.SubgraphTimeouts[g.Name]; ok {
			timeouts[g.URL] = d
		}
	}
	s.gw.setSubgraphs(names)
	s.transport.SetTimeouts(timeouts)
	e.OnPlanCache = s.gw.metrics.PlanCache
	s.gw.graphQL.swap(e)
	s.current = sdl
	s.gw.metrics.SupergraphLoaded(time.Now())
	s.log.Info("supergraph loaded", "subgraphs", len(e.Supergraph.Graphs))
	return true, nil
}

// followSubgraphs composes the subgraphs every poll interval and serves a
// changed supergraph; on any error the current one stays. Until the first
// composition (the router is not ready before it) it retries quickly.
func (s *Server) followSubgraphs(ctx context.Context) error {
	list, err := compose.ParseList(s.cfg.Subgraphs)
	if err != nil {
		return err
	}
	step := func(ctx context.Context) {
		had := s.Engine() != nil
		sdl, err := composeOnce(ctx, s.sdlClient, list)
		if err != nil {
			if !had {
				s.log.Warn("waiting for the subgraphs to compose", "err", err)
			} else {
				s.log.Warn("recomposition failed; keeping the current supergraph", "err", err)
			}
			return
		}
		changed, err := s.use(sdl)
		if err != nil {
			s.log.Warn("new supergraph rejected; keeping the current one", "err", err)
			return
		}
		if changed && had {
			s.log.Info("supergraph updated")
		}
	}
	for s.Engine() == nil {
		step(ctx)
		if s.Engine() != nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(500 * time.Millisecond):
		}
	}
	return service.Every(ctx, s.cfg.PollInterval, step)
}
