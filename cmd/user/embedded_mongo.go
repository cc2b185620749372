//go:build embedmongo

package main

import (
	"context"
	"log/slog"

	"github.com/virtual-store/virtual-store/internal/devmongo"
	"github.com/virtual-store/virtual-store/subgraphs/user"
)

func init() {
	user.EmbeddedMongo = func(ctx context.Context, dir string, log *slog.Logger) (string, func(), error) {
		s, err := devmongo.Start(ctx, dir, log)
		if err != nil {
			return "", nil, err
		}
		return s.URI, s.Stop, nil
	}
}
