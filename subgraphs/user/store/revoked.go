package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// RevokeFamily revokes every token descended from one login (a session):
// its refresh tokens, and its access tokens until until (when the last
// of them expires), through the revoked sessions the router reads.
func (s *Store) RevokeFamily(ctx context.Context, familyID string, until time.Time) error {
	return s.revoke(ctx, bson.D{{Key: "familyId", Value: familyID}}, until)
}

// RevokeUserTokens revokes every session of a user (password change, a
// role taken away), like RevokeFamily.
func (s *Store) RevokeUserTokens(ctx context.Context, userID string, until time.Time) error {
	return s.revoke(ctx, bson.D{{Key: "userId", Value: userID}}, until)
}

func (s *Store) revoke(ctx context.Context, filter bson.D, until time.Time) error {
	cur, err := s.tokens.Find(ctx, append(filter, bson.E{Key: "revoked", Value: false}), options.Find().SetProjection(bson.D{{Key: "familyId", Value: 1}}))
	if err != nil {
		return fmt.Errorf("find sessions to revoke: %w", err)
	}
	var toks []RefreshToken
	if err := cur.All(ctx, &toks); err != nil {
		return fmt.Errorf("find sessions to revoke: %w", err)
	}
	// The sessions first: a failure after them leaves refresh tokens to
	// revoke again, never an access token still accepted.
	families := map[string]bool{}
	for _, t := range toks {
		if families[t.FamilyID] {
			continue
		}
		families[t.FamilyID] = true
		if err := s.upsert(ctx, s.revoked, t.FamilyID, bson.D{{Key: "until", Value: until}}); err != nil {
			return fmt.Errorf("revoke session: %w", err)
		}
	}
	if _, err := s.tokens.UpdateMany(ctx, filter, bson.D{{Key: "$set", Value: bson.D{{Key: "revoked", Value: true}}}}); err != nil {
		return fmt.Errorf("revoke refresh tokens: %w", err)
	}
	return nil
}

// SessionRevoked reports whether the session (a refresh token family) was
// revoked and is still listed.
func (s *Store) SessionRevoked(ctx context.Context, family string) (bool, error) {
	n, err := s.revoked.CountDocuments(ctx, bson.D{{Key: "_id", Value: family}})
	if err != nil {
		return false, fmt.Errorf("session revoked: %w", err)
	}
	return n > 0, nil
}

// RevokedSessions lists the sessions revoked whose access tokens may
// still be alive at now.
func (s *Store) RevokedSessions(ctx context.Context, now time.Time) ([]string, error) {
	cur, err := s.revoked.Find(ctx, bson.D{{Key: "until", Value: bson.D{{Key: "$gt", Value: now}}}})
	if err != nil {
		return nil, fmt.Errorf("revoked sessions: %w", err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("revoked sessions: %w", err)
	}
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out, nil
}
