// Package store keeps the user service's data in MongoDB. Every write touches
// exactly one document (MongoDB-compatible servers without multi-document
// transactions must stay consistent too): user changes use optimistic
// concurrency on a version field; a refresh token's rotation is claimed by
// inserting a document with the token's hash as _id, which exactly one of
// several concurrent callers can do. (A conditional update would do on
// MongoDB, but the embedded FerretDB evaluates update filters outside its
// storage transaction, so only unique-key inserts are atomic on both.)
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Errors of the store.
var (
	ErrNotFound        = errors.New("not found")
	ErrEmailTaken      = errors.New("email taken")
	ErrVersionConflict = errors.New("changed concurrently")
)

// Store is the user database.
type Store struct {
	client *mongo.Client
	users  *mongo.Collection
	tokens *mongo.Collection
	// attempts holds failed sign-ins and registrations for throttling.
	attempts *mongo.Collection
	// known holds where each account signed in from (_id = email|address).
	known *mongo.Collection
	// revoked holds revoked sessions (_id = the refresh token family) until
	// their last access token expires.
	revoked *mongo.Collection
	// rotations holds one document per rotated refresh token (_id = its hash).
	rotations *mongo.Collection
}

// Open connects to uri, uses database db and creates the indexes. extra
// client options (e.g. SetMonitor, for metrics) apply after the URI's.
func Open(ctx context.Context, uri, db string, extra ...*options.ClientOptions) (*Store, error) {
	client, err := mongo.Connect(append([]*options.ClientOptions{options.Client().ApplyURI(uri).SetTimeout(10 * time.Second)}, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("connect to MongoDB: %w", err)
	}
	d := client.Database(db)
	s := &Store{client: client, users: d.Collection("users"), tokens: d.Collection("refresh_tokens"), attempts: d.Collection("throttle_attempts"), known: d.Collection("known_signins"), revoked: d.Collection("revoked_sessions"), rotations: d.Collection("refresh_rotations")}
	if err := s.ensureIndexes(ctx); err != nil {
		_ = client.Disconnect(ctx)
		return nil, err
	}
	return s, nil
}

// Close disconnects.
func (s *Store) Close(ctx context.Context) error { return s.client.Disconnect(ctx) }

// Ping is the readiness check.
func (s *Store) Ping(ctx context.Context) error { return s.client.Ping(ctx, nil) }

// upsert sets fields of the document id, creating it if missing. Two
// concurrent upserts of one new id can both try the insert: the loser gets
// a duplicate key error and updates the winner's document instead.
func (s *Store) upsert(ctx context.Context, coll *mongo.Collection, id string, fields bson.D) error {
	filter, update := bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: fields}}
	_, err := coll.UpdateOne(ctx, filter, update, options.UpdateOne().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		_, err = coll.UpdateOne(ctx, filter, update)
	}
	return err
}

// Purge deletes throttle attempts older than attemptsBefore, known
// sign-ins older than knownBefore, refresh tokens that expired before
// tokensBefore and sessions revoked until before revokedBefore; run
// periodically.
func (s *Store) Purge(ctx context.Context, attemptsBefore, knownBefore, tokensBefore, revokedBefore time.Time) error {
	for _, p := range []struct {
		coll   *mongo.Collection
		field  string
		before time.Time
	}{{s.attempts, "at", attemptsBefore}, {s.known, "at", knownBefore}, {s.tokens, "expiresAt", tokensBefore}, {s.revoked, "until", revokedBefore}} {
		if _, err := p.coll.DeleteMany(ctx, bson.D{{Key: p.field, Value: bson.D{{Key: "$lt", Value: p.before}}}}); err != nil {
			return fmt.Errorf("purge %s: %w", p.coll.Name(), err)
		}
	}
	return nil
}
