package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// User is one account.
type User struct {
	ID    string `bson:"_id"`
	Email string `bson:"email"`
	// EmailKey is the normalized email (trimmed, lower case) with the unique
	// index: Ann@Example.com and ann@example.com are one account.
	EmailKey                 string    `bson:"emailKey"`
	Name                     string    `bson:"name"`
	Phone                    string    `bson:"phone"`
	PasswordHash             string    `bson:"passwordHash"`
	Roles                    []string  `bson:"roles"`
	Addresses                []Address `bson:"addresses"`
	DefaultShippingAddressID string    `bson:"defaultShippingAddressId"`
	// Version increases with every change; updates match on it.
	Version   int64     `bson:"version"`
	CreatedAt time.Time `bson:"createdAt"`
	UpdatedAt time.Time `bson:"updatedAt"`
}

// Address is a postal address of a user.
type Address struct {
	ID         string `bson:"id"`
	Label      string `bson:"label"`
	FullName   string `bson:"fullName"`
	Line1      string `bson:"line1"`
	Line2      string `bson:"line2"`
	City       string `bson:"city"`
	PostalCode string `bson:"postalCode"`
	Region     string `bson:"region"`
	Country    string `bson:"country"` // ISO 3166-1 alpha-2
	Phone      string `bson:"phone"`
}

// InsertUser adds a new account; ErrEmailTaken if the email is in use.
func (s *Store) InsertUser(ctx context.Context, u *User) error {
	if u.Roles == nil {
		u.Roles = []string{}
	}
	if u.Addresses == nil {
		u.Addresses = []Address{}
	}
	_, err := s.users.InsertOne(ctx, u)
	if mongo.IsDuplicateKeyError(err) {
		return ErrEmailTaken
	}
	if err != nil {
		return fmt.Errorf("insert user: %w", err)
	}
	return nil
}

// UserByID returns a user or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (*User, error) {
	return s.findUser(ctx, bson.D{{Key: "_id", Value: id}})
}

// UserByEmailKey returns a user by normalized email or ErrNotFound.
func (s *Store) UserByEmailKey(ctx context.Context, key string) (*User, error) {
	return s.findUser(ctx, bson.D{{Key: "emailKey", Value: key}})
}

func (s *Store) findUser(ctx context.Context, filter bson.D) (*User, error) {
	var u User
	err := s.users.FindOne(ctx, filter).Decode(&u)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	return &u, nil
}

// UsersByIDs loads many users with one query, in no particular order.
func (s *Store) UsersByIDs(ctx context.Context, ids []string) ([]*User, error) {
	cur, err := s.users.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return nil, fmt.Errorf("find users: %w", err)
	}
	var out []*User
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	return out, nil
}

// CountWithRole counts users holding role.
func (s *Store) CountWithRole(ctx context.Context, role string) (int64, error) {
	n, err := s.users.CountDocuments(ctx, bson.D{{Key: "roles", Value: role}})
	if err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// UpdateUser writes u's mutable fields if nobody changed the document since
// u was read (u.Version), and bumps the version; ErrVersionConflict otherwise.
func (s *Store) UpdateUser(ctx context.Context, u *User) error {
	u.UpdatedAt = time.Now().UTC()
	res, err := s.users.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: u.ID}, {Key: "version", Value: u.Version}},
		bson.D{{Key: "$set", Value: bson.D{
			{Key: "name", Value: u.Name},
			{Key: "phone", Value: u.Phone},
			{Key: "passwordHash", Value: u.PasswordHash},
			{Key: "roles", Value: u.Roles},
			{Key: "addresses", Value: u.Addresses},
			{Key: "defaultShippingAddressId", Value: u.DefaultShippingAddressID},
			{Key: "updatedAt", Value: u.UpdatedAt},
			{Key: "version", Value: u.Version + 1},
		}}})
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrVersionConflict
	}
	u.Version++
	return nil
}

// ModifyUser applies change to the current user document and stores it,
// re-reading and re-applying when a concurrent writer got there first.
func (s *Store) ModifyUser(ctx context.Context, id string, change func(*User) error) (*User, error) {
	for attempt := 0; ; attempt++ {
		u, err := s.UserByID(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := change(u); err != nil {
			return nil, err
		}
		err = s.UpdateUser(ctx, u)
		if !errors.Is(err, ErrVersionConflict) || attempt == 9 {
			return u, err
		}
	}
}
