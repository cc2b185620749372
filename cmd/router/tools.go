package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/engine"
	"github.com/virtual-store/virtual-store/router/execute"
	"github.com/virtual-store/virtual-store/router/plan"
	"github.com/virtual-store/virtual-store/router/server"
)

// runTool runs compose, schema or plan.
func runTool(ctx context.Context, cmd string, cfg config.Config, args []string, asJSON bool, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, "router:", err)
		return 1
	}
	sdl, err := server.ReadSupergraph(ctx, cfg)
	if err != nil {
		return fail(err)
	}
	if cmd == "compose" {
		fmt.Fprint(stdout, sdl)
		return 0
	}
	e, err := engine.New(sdl, engine.Options{Transport: execute.NewTransport(cfg.SubgraphTimeout, nil)})
	if err != nil {
		return fail(err)
	}
	if cmd == "schema" {
		fmt.Fprint(stdout, e.API.SDL)
		return 0
	}
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: router plan [--supergraph FILE] QUERY")
		return 2
	}
	p, err := e.Plan(args[0], "")
	if err != nil {
		return fail(err)
	}
	if !asJSON {
		fmt.Fprint(stdout, plan.Format(p))
		return 0
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fail(err)
	}
	fmt.Fprintln(stdout, string(b))
	return 0
}
