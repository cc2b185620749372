package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Attempt is one throttled event: a failed sign-in (Email and IP) or a
// registration (IP). IP is the client's address bucket (see clientip.Bucket);
// empty fields do not filter when counting.
type Attempt struct {
	ID    bson.ObjectID `bson:"_id,omitempty"`
	Kind  string        `bson:"kind"`
	Email string        `bson:"email,omitempty"` // the lookup key (lower case)
	IP    string        `bson:"ip,omitempty"`
	At    time.Time     `bson:"at"`
}

// Kinds of attempts.
const (
	AttemptSignInFailure = "signin-failure"
	AttemptRegistration  = "registration"
)

func (a Attempt) filter(since time.Time) bson.D {
	f := bson.D{{Key: "kind", Value: a.Kind}}
	if a.Email != "" {
		f = append(f, bson.E{Key: "email", Value: a.Email})
	}
	if a.IP != "" {
		f = append(f, bson.E{Key: "ip", Value: a.IP})
	}
	return append(f, bson.E{Key: "at", Value: bson.D{{Key: "$gte", Value: since}}})
}

// RecordAttempt notes an attempt and returns its id.
func (s *Store) RecordAttempt(ctx context.Context, a Attempt) (bson.ObjectID, error) {
	if a.ID.IsZero() {
		a.ID = bson.NewObjectID()
	}
	if _, err := s.attempts.InsertOne(ctx, a); err != nil {
		return bson.ObjectID{}, fmt.Errorf("record %s: %w", a.Kind, err)
	}
	return a.ID, nil
}

// DeleteAttempt forgets one attempt (one that turned out not to count).
func (s *Store) DeleteAttempt(ctx context.Context, id bson.ObjectID) error {
	if _, err := s.attempts.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		return fmt.Errorf("delete attempt: %w", err)
	}
	return nil
}

// CountAttempts counts the attempts like a (its Kind and non-empty Email
// and IP) since a time, and tells when the oldest of them was (zero when
// there are none), so that a refusal can say when the window frees up.
func (s *Store) CountAttempts(ctx context.Context, a Attempt, since time.Time) (int64, time.Time, error) {
	f := a.filter(since)
	n, err := s.attempts.CountDocuments(ctx, f)
	if err != nil || n == 0 {
		if err != nil {
			err = fmt.Errorf("count %s: %w", a.Kind, err)
		}
		return 0, time.Time{}, err
	}
	var doc Attempt
	if err := s.attempts.FindOne(ctx, f, options.FindOne().SetSort(bson.D{{Key: "at", Value: 1}})).Decode(&doc); err != nil {
		return 0, time.Time{}, fmt.Errorf("find oldest %s: %w", a.Kind, err)
	}
	return n, doc.At, nil
}

// ClearAttempts forgets the attempts like a (after a successful sign-in:
// that address's failures for that account).
func (s *Store) ClearAttempts(ctx context.Context, a Attempt) error {
	if _, err := s.attempts.DeleteMany(ctx, a.filter(time.Time{})); err != nil {
		return fmt.Errorf("clear %s: %w", a.Kind, err)
	}
	return nil
}
