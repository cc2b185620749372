package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// RememberSignIn notes that the account with email signed in from the
// address bucket ip: a known place, which is not slowed down when others
// fail to sign in to that account.
func (s *Store) RememberSignIn(ctx context.Context, email, ip string, at time.Time) error {
	if err := s.upsert(ctx, s.known, email+"|"+ip, bson.D{{Key: "at", Value: at}, {Key: "email", Value: email}}); err != nil {
		return fmt.Errorf("remember sign-in: %w", err)
	}
	return nil
}

// ForgetSignIns forgets where the account with email signed in from (a
// new password: an address that knew the old one is no longer trusted).
func (s *Store) ForgetSignIns(ctx context.Context, email string) error {
	if _, err := s.known.DeleteMany(ctx, bson.D{{Key: "email", Value: email}}); err != nil {
		return fmt.Errorf("forget sign-ins: %w", err)
	}
	return nil
}

// KnownSignIn reports whether the account with email signed in from ip
// since a time.
func (s *Store) KnownSignIn(ctx context.Context, email, ip string, since time.Time) (bool, error) {
	n, err := s.known.CountDocuments(ctx, bson.D{{Key: "_id", Value: email + "|" + ip}, {Key: "at", Value: bson.D{{Key: "$gte", Value: since}}}})
	if err != nil {
		return false, fmt.Errorf("known sign-in: %w", err)
	}
	return n > 0, nil
}
