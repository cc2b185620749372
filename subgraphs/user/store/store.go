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

// RememberSignIn notes that the account with email signed in from the
// address bucket ip: a known place, which is not slowed down when others
// fail to sign in to that account.
func (s *Store) RememberSignIn(ctx context.Context, email, ip string, at time.Time) error {
	if err := s.upsert(ctx, s.known, email+"|"+ip, bson.D{{Key: "at", Value: at}, {Key: "email", Value: email}}); err != nil {
		return fmt.Errorf("remember sign-in: %w", err)
	}
	return nil
}

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

// PurgeRotations deletes rotation claims older than before: by then the
// tokens they guard have expired and are refused for that reason alone.
func (s *Store) PurgeRotations(ctx context.Context, before time.Time) error {
	if _, err := s.rotations.DeleteMany(ctx, bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: before}}}}); err != nil {
		return fmt.Errorf("purge rotation claims: %w", err)
	}
	return nil
}

// IsEntity marks User as a federation entity for gqlgen (the GraphQL User
// type is bound to this struct; private fields have resolvers).
func (User) IsEntity() {}
