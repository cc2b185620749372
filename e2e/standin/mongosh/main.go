// Command mongosh is the test cluster's stand-in for MongoDB's shell, only as
// far as the dev overlay's probes use it: `mongosh --quiet --norc --eval
// "db.adminCommand('ping').ok"` prints 1 and exits 0 when the server on
// localhost answers a ping. It ships in the stand-in mongo image that
// `make cluster-up` builds from FerretDB (no MongoDB can be installed here);
// any other use is refused.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func main() {
	eval := ""
	for i, a := range os.Args[1:] {
		if a == "--eval" && i+2 < len(os.Args) {
			eval = os.Args[i+2]
		}
	}
	if !strings.Contains(eval, "ping") {
		fmt.Fprintln(os.Stderr, "mongosh stand-in: only --eval \"db.adminCommand('ping').ok\" is supported")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	opts := options.Client().ApplyURI("mongodb://127.0.0.1:27017/").SetServerSelectionTimeout(4 * time.Second)
	// The probe runs in the container, with its environment: the root user
	// the image's entrypoint set up (FerretDB asks for authentication first).
	if user := os.Getenv("MONGO_INITDB_ROOT_USERNAME"); user != "" {
		opts.SetAuth(options.Credential{Username: user, Password: os.Getenv("MONGO_INITDB_ROOT_PASSWORD"), AuthSource: "admin"})
	}
	client, err := mongo.Connect(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer client.Disconnect(context.Background()) //nolint:errcheck // exiting
	var res struct {
		OK float64 `bson:"ok"`
	}
	if err := client.Database("admin").RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Decode(&res); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(res.OK)
	if res.OK != 1 {
		os.Exit(1)
	}
}
