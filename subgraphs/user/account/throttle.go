package account

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/clientip"
	"github.com/virtual-store/virtual-store/subgraphs/user/store"
)

// Throttle bounds password guessing without letting a guesser lock anyone
// out. Failures are counted per client address (its clientip.Bucket), per
// account and address together, and per account:
//
//   - an address with PerClientIP failures in Window is refused (it guesses
//     across many accounts);
//   - an address with PerPair failures on one account in Window is refused
//     for that account (it guesses one password);
//   - an account with SlowAfter failures in Window, from anywhere, is only
//     slowed down: sign-ins to it are paced, one per gap that doubles with
//     every further failure up to MaxGap, and a place the account signed in
//     from within KnownFor is not paced at all. Failures from one address
//     therefore never stop the owner at another.
//
// Registrations are counted per address: RegisterPerIP in RegisterWindow.
type Throttle struct {
	Window      time.Duration // 15 minutes
	PerClientIP int           // 20
	PerPair     int           // 5
	SlowAfter   int           // 5
	MaxGap      time.Duration // 10 seconds
	KnownFor    time.Duration // 90 days

	RegisterWindow time.Duration // 1 hour
	RegisterPerIP  int           // 20
}

// Gap is how far apart sign-ins to an account with n recent failures are
// paced: 0 below SlowAfter, then 1 s, 2 s, 4 s, ... up to MaxGap.
func (t Throttle) Gap(n int64) time.Duration {
	if n < int64(t.SlowAfter) {
		return 0
	}
	g := time.Second << min(n-int64(t.SlowAfter), 30)
	return min(g, t.MaxGap)
}

// pacer hands out the next moment a slowed account may be tried, per
// account, in this process (each replica paces on its own, so an account
// is tried at most once per gap per replica).
type pacer struct {
	mu   sync.Mutex
	next map[string]time.Time
}

// take reserves a try of key at now if its gap has passed, and otherwise
// tells how long to wait.
func (p *pacer) take(key string, now time.Time, gap time.Duration) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next == nil {
		p.next = map[string]time.Time{}
	}
	if wait := p.next[key].Sub(now); wait > 0 {
		return wait
	}
	if len(p.next) >= maxPaced {
		for k, t := range p.next {
			if !t.After(now) {
				delete(p.next, k)
			}
		}
	}
	p.next[key] = now.Add(gap)
	return 0
}

// maxPaced is when the pacer sweeps accounts whose gap has passed.
const maxPaced = 10_000

func rateLimited(msg string, wait time.Duration) error {
	wait = max(wait, time.Second).Round(time.Second)
	return userErr(graph.CodeRateLimited, fmt.Sprintf("%s; try again in %s", msg, wait))
}

// unknownClient is the bucket of requests whose client address is not
// stated: they share one, so that leaving the address out is no way around
// the limits.
const unknownClient = "unknown"

// bucket is what the limits count client as.
func bucket(client netip.Addr) string {
	return cmp.Or(clientip.Bucket(client), unknownClient)
}

// admitSignIn decides whether a password check for the account email from
// the address bucket ip (a sign-in, or changePassword's current password)
// may run now. It records the attempt as a failure first and counts with
// it, so that concurrent attempts see each other: 60 guesses sent at once
// are not 60 passes of a check done before any was recorded. The caller
// keeps the record if the password was wrong, and forgets it (forget) if
// the check was right or did not run.
func (s *Service) admitSignIn(ctx context.Context, email, ip string) (forget func(), err error) {
	now := s.Now().UTC()
	since := now.Add(-s.Throttle.Window)
	id, err := s.db.RecordAttempt(ctx, store.Attempt{Kind: store.AttemptSignInFailure, Email: email, IP: ip, At: now})
	if err != nil {
		return nil, err
	}
	forget = func() {
		// Best effort: a leftover record only counts against the window.
		if err := s.db.DeleteAttempt(context.WithoutCancel(ctx), id); err != nil {
			s.Log.WarnContext(ctx, "forget a sign-in attempt", "err", err)
		}
	}
	if err := s.admitSignInCounted(ctx, now, since, email, ip); err != nil {
		forget() // a refusal is not a guess
		return nil, err
	}
	return forget, nil
}

func (s *Service) admitSignInCounted(ctx context.Context, now, since time.Time, email, ip string) error {
	kind := store.AttemptSignInFailure
	n, oldest, err := s.db.CountAttempts(ctx, store.Attempt{Kind: kind, IP: ip}, since)
	if err != nil {
		return err
	}
	if n > int64(s.Throttle.PerClientIP) { // n counts this attempt
		return rateLimited("too many failed sign-ins from your address", oldest.Add(s.Throttle.Window).Sub(now))
	}
	n, oldest, err = s.db.CountAttempts(ctx, store.Attempt{Kind: kind, Email: email, IP: ip}, since)
	if err != nil {
		return err
	}
	if n > int64(s.Throttle.PerPair) {
		return rateLimited("too many failed sign-ins to this account from your address", oldest.Add(s.Throttle.Window).Sub(now))
	}
	n, _, err = s.db.CountAttempts(ctx, store.Attempt{Kind: kind, Email: email}, since)
	if err != nil {
		return err
	}
	gap := s.Throttle.Gap(n - 1)
	if gap == 0 {
		return nil
	}
	known, err := s.db.KnownSignIn(ctx, email, ip, now.Add(-s.Throttle.KnownFor))
	if err != nil || known {
		return err
	}
	if wait := s.pacer.take(email, now, gap); wait > 0 {
		return rateLimited("this account had many failed sign-ins, so sign-ins to it are slowed down", wait)
	}
	return nil
}

// admitRegistration decides whether the address bucket ip may register an
// account now, counting the attempt (recorded first, like admitSignIn's).
func (s *Service) admitRegistration(ctx context.Context, ip string) error {
	now := s.Now().UTC()
	a := store.Attempt{Kind: store.AttemptRegistration, IP: ip, At: now}
	id, err := s.db.RecordAttempt(ctx, a)
	if err != nil {
		return err
	}
	n, oldest, err := s.db.CountAttempts(ctx, store.Attempt{Kind: a.Kind, IP: ip}, now.Add(-s.Throttle.RegisterWindow))
	if err != nil {
		return err
	}
	if n > int64(s.Throttle.RegisterPerIP) {
		if err := s.db.DeleteAttempt(ctx, id); err != nil {
			return err
		}
		return rateLimited("too many accounts registered from your address", oldest.Add(s.Throttle.RegisterWindow).Sub(now))
	}
	return nil
}
