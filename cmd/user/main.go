// Command user serves the user subgraph: accounts, sign-in, JWTs and the JWKS.
//
// Built with -tags embedmongo (as `make build` does for local use) it starts
// an embedded MongoDB-compatible server when USER_MONGO_URI is unset; the
// production image is built without the tag and needs a real MongoDB.
package main

import (
	"os"

	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/subgraphs/user"
)

func main() {
	os.Exit(service.Main("user", "USER_", user.Start))
}
