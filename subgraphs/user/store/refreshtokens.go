package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// RefreshToken is the stored (hashed) form of a refresh token.
type RefreshToken struct {
	Hash      string    `bson:"_id"`
	UserID    string    `bson:"userId"`
	FamilyID  string    `bson:"familyId"` // all tokens rotated from one login
	ExpiresAt time.Time `bson:"expiresAt"`
	CreatedAt time.Time `bson:"createdAt"`
	Rotated   bool      `bson:"rotated"`
	Revoked   bool      `bson:"revoked"`
}

// InsertRefreshToken stores a new refresh token.
func (s *Store) InsertRefreshToken(ctx context.Context, t *RefreshToken) error {
	if _, err := s.tokens.InsertOne(ctx, t); err != nil {
		return fmt.Errorf("insert refresh token: %w", err)
	}
	return nil
}

// RefreshTokenByHash returns a stored token or ErrNotFound.
func (s *Store) RefreshTokenByHash(ctx context.Context, hash string) (*RefreshToken, error) {
	var t RefreshToken
	err := s.tokens.FindOne(ctx, bson.D{{Key: "_id", Value: hash}}).Decode(&t)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find refresh token: %w", err)
	}
	return &t, nil
}

// MarkRotated claims a token's one use: of several concurrent rotations of
// one token exactly one gets true (the unique _id of the claim decides).
func (s *Store) MarkRotated(ctx context.Context, hash string) (bool, error) {
	_, err := s.rotations.InsertOne(ctx, bson.D{{Key: "_id", Value: hash}, {Key: "at", Value: time.Now().UTC()}})
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim refresh token rotation: %w", err)
	}
	// For readers of the token document; the claim above is what counts.
	if _, err := s.tokens.UpdateOne(ctx, bson.D{{Key: "_id", Value: hash}}, bson.D{{Key: "$set", Value: bson.D{{Key: "rotated", Value: true}}}}); err != nil {
		return false, fmt.Errorf("mark refresh token rotated: %w", err)
	}
	return true, nil
}

// PurgeRotations deletes rotation claims older than before: by then the
// tokens they guard have expired and are refused for that reason alone.
func (s *Store) PurgeRotations(ctx context.Context, before time.Time) error {
	if _, err := s.rotations.DeleteMany(ctx, bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: before}}}}); err != nil {
		return fmt.Errorf("purge rotation claims: %w", err)
	}
	return nil
}
