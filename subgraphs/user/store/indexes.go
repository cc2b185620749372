package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// index is one index a collection needs.
type index struct {
	name   string
	keys   bson.D
	unique bool
}

func (s *Store) ensureIndexes(ctx context.Context) error {
	for coll, indexes := range map[*mongo.Collection][]index{
		s.users: {
			{name: "emailKey_unique", keys: bson.D{{Key: "emailKey", Value: 1}}, unique: true},
			{name: "roles", keys: bson.D{{Key: "roles", Value: 1}}},
		},
		s.tokens: {
			{name: "familyId", keys: bson.D{{Key: "familyId", Value: 1}}},
			{name: "userId", keys: bson.D{{Key: "userId", Value: 1}}},
			{name: "expiresAt", keys: bson.D{{Key: "expiresAt", Value: 1}}},
		},
		s.attempts: {
			{name: "email_at", keys: bson.D{{Key: "email", Value: 1}, {Key: "at", Value: 1}}},
			{name: "ip_at", keys: bson.D{{Key: "ip", Value: 1}, {Key: "at", Value: 1}}},
		},
		s.known: {
			{name: "at", keys: bson.D{{Key: "at", Value: 1}}},
			{name: "email", keys: bson.D{{Key: "email", Value: 1}}},
		},
		s.revoked: {
			{name: "until", keys: bson.D{{Key: "until", Value: 1}}},
		},
		s.rotations: {
			{name: "at", keys: bson.D{{Key: "at", Value: 1}}},
		},
	} {
		existing, err := indexNames(ctx, coll)
		if err != nil {
			return err
		}
		// Only missing indexes are created: the embedded FerretDB crashes on
		// a createIndexes for indexes that exist (MongoDB would accept it).
		for _, ix := range indexes {
			if existing[ix.name] {
				continue
			}
			opts := options.Index().SetName(ix.name)
			if ix.unique {
				opts.SetUnique(true)
			}
			if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: ix.keys, Options: opts}); err != nil {
				return fmt.Errorf("create index %s on %s: %w", ix.name, coll.Name(), err)
			}
		}
	}
	return nil
}

func indexNames(ctx context.Context, coll *mongo.Collection) (map[string]bool, error) {
	cur, err := coll.Indexes().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list indexes on %s: %w", coll.Name(), err)
	}
	var specs []struct {
		Name string `bson:"name"`
	}
	if err := cur.All(ctx, &specs); err != nil {
		return nil, fmt.Errorf("read indexes on %s: %w", coll.Name(), err)
	}
	names := make(map[string]bool, len(specs))
	for _, s := range specs {
		names[s.Name] = true
	}
	return names, nil
}
