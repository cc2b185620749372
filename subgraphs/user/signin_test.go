package user_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/subgraphs/user/password"
)

func TestLoginNeverRevealsWhetherEmailExists(t *testing.T) {
	a := register(t, "login")
	wrong := login(t, a.email, "wrong passphrase!", uniqueIP())
	unknown := login(t, uniqueEmail("nobody"), "wrong passphrase!", uniqueIP())
	w, u := wrong.Dig("login", "userErrors", 0), unknown.Dig("login", "userErrors", 0)
	if gqltest.Dig(w, "code") != string(graph.CodeInvalidCredentials) || fmt.Sprint(w) != fmt.Sprint(u) {
		t.Fatalf("wrong password %v vs unknown email %v: must be identical INVALID_CREDENTIALS", w, u)
	}
	ok := login(t, strings.ToUpper(a.email), a.password, uniqueIP())
	if ok.Dig("login", "user", "id") != a.id || ok.Dig("login", "accessToken") == nil {
		t.Fatalf("login with other-case email: %v", ok.Data)
	}
	if strings.Contains(logs.String(), "$argon2id") || strings.Contains(logs.String(), a.password) {
		t.Fatal("a password or hash reached the logs")
	}
}

// A guesser at one address is refused on that account, but the owner at
// another address still signs in: an account under attack is only slowed
// down, and not at all from where its owner signed in before.
func TestFailedSignInsNeverLockOutTheOwner(t *testing.T) {
	a := register(t, "throttle")
	guesser, owner, elsewhere := uniqueIP(), uniqueIP(), uniqueIP()
	for i := range 5 {
		r := login(t, a.email, "wrong passphrase!", guesser)
		if got := r.UserErrorCodes("login"); !codesAre(got, graph.CodeInvalidCredentials) {
			t.Fatalf("attempt %d: %v", i+1, got)
		}
	}
	r := login(t, a.email, a.password, guesser) // even the right password
	if got := r.UserErrorCodes("login"); !codesAre(got, graph.CodeRateLimited) || r.Dig("login", "accessToken") != nil {
		t.Fatalf("6th attempt from the guessing address: %v", got)
	}
	if msg := r.Dig("login", "userErrors", 0, "message").(string); !strings.Contains(msg, "try again in") {
		t.Fatalf("message %q does not say when to retry", msg)
	}
	if r := login(t, a.email, a.password, owner); r.Dig("login", "accessToken") == nil {
		t.Fatalf("the owner at another address: %v", r.UserErrorCodes("login"))
	}
	// The account is paced (one try per second after 5 failures): right
	// after the owner's sign-in, a third address waits its turn...
	clock := time.Now()
	svc.Accounts.Now = func() time.Time { return clock }
	defer func() { svc.Accounts.Now = time.Now }()
	if got := login(t, a.email, a.password, elsewhere).UserErrorCodes("login"); !codesAre(got, graph.CodeRateLimited) {
		t.Fatalf("a new address right after another try: %v, want %s (paced)", got, graph.CodeRateLimited)
	}
	// ...but where the owner signed in before is never paced,
	if r := login(t, a.email, a.password, owner); r.Dig("login", "accessToken") == nil {
		t.Fatalf("the owner's known address: %v", r.UserErrorCodes("login"))
	}
	// and the new address gets its turn two seconds later.
	clock = clock.Add(2 * time.Second)
	if r := login(t, a.email, a.password, elsewhere); r.Dig("login", "accessToken") == nil {
		t.Fatalf("a new address after the gap: %v", r.UserErrorCodes("login"))
	}
	// The window passing frees the guessing address too.
	clock = clock.Add(16 * time.Minute)
	if r := login(t, a.email, a.password, guesser); r.Dig("login", "accessToken") == nil {
		t.Fatalf("after the window: %v", r.UserErrorCodes("login"))
	}
}

// The gap between tries of an account under attack doubles with every
// failure and stops growing at the maximum.
func TestSignInGapGrows(t *testing.T) {
	th := svc.Accounts.Throttle
	for n, want := range map[int64]time.Duration{0: 0, 4: 0, 5: time.Second, 6: 2 * time.Second, 8: 8 * time.Second, 9: 10 * time.Second, 1_000_000: 10 * time.Second} {
		if got := th.Gap(n); got != want {
			t.Errorf("gap after %d failures = %v, want %v", n, got, want)
		}
	}
}

func TestLoginThrottlePerClientIP(t *testing.T) {
	ip := uniqueIP()
	for i := range 20 {
		r := login(t, uniqueEmail("spray"), "wrong passphrase!", ip)
		if got := r.UserErrorCodes("login"); got[0] != string(graph.CodeInvalidCredentials) {
			t.Fatalf("attempt %d: %v", i+1, got)
		}
	}
	a := register(t, "victim")
	if got := login(t, a.email, a.password, ip).UserErrorCodes("login"); !codesAre(got, graph.CodeRateLimited) {
		t.Fatalf("21st attempt from the address: %v", got)
	}
	if r := login(t, a.email, a.password, uniqueIP()); r.Dig("login", "accessToken") == nil {
		t.Fatalf("another address is not throttled: %v", r.Data)
	}
}

// Guesses sent all at once are counted like guesses sent one by one: each
// is recorded before the count that admits it.
func TestConcurrentGuessesAreCounted(t *testing.T) {
	a := register(t, "concurrent")
	ip := uniqueIP()
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[string]int{}
	for range 30 {
		wg.Go(func() {
			got := login(t, a.email, "wrong passphrase!", ip).UserErrorCodes("login")
			mu.Lock()
			defer mu.Unlock()
			outcomes[strings.Join(got, ",")]++
		})
	}
	wg.Wait()
	if n := outcomes[string(graph.CodeInvalidCredentials)]; n > 5 || n+outcomes[string(graph.CodeRateLimited)] != 30 { // all may be refused: each counts the others in flight
		t.Fatalf("30 concurrent guesses from one address: %v, want at most 5 checked", outcomes)
	}
}

// Password hashes run in bounded slots: with every slot taken and no room
// to wait, register, login and changePassword answer BUSY (and a login
// that could not be checked is not a failed sign-in), never an error or
// another 64 MiB hash.
func TestHashingAtCapacityAnswersBusy(t *testing.T) {
	a := register(t, "busy")
	gate := svc.Accounts.Hasher.Gate
	svc.Accounts.Hasher.Gate = password.NewGate(1, 0, 0)
	defer func() { svc.Accounts.Hasher.Gate = gate }()
	release, err := svc.Accounts.Hasher.Gate.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ip := uniqueIP()
	for range 6 { // more than the per-pair limit: BUSY is not a failure
		if got := login(t, a.email, "wrong passphrase!", ip).UserErrorCodes("login"); !codesAre(got, graph.CodeBusy) {
			t.Fatalf("login at capacity: %v, want [%s]", got, graph.CodeBusy)
		}
	}
	r := anon.do(t, `mutation($e: String!) { register(input: {email: $e, password: "a long passphrase", name: "Late"}) { accessToken userErrors { code message } } }`,
		map[string]any{"e": uniqueEmail("late")})
	if got := r.UserErrorCodes("register"); !codesAre(got, graph.CodeBusy) || len(r.Errors) > 0 {
		t.Fatalf("register at capacity: %v %+v, want [%s]", got, r.Errors, graph.CodeBusy)
	}
	if msg, _ := r.Dig("register", "userErrors", 0, "message").(string); !strings.Contains(msg, "try again in") {
		t.Fatalf("BUSY message %q does not say when to retry", msg)
	}
	r = call{bearer: a.access}.do(t, `mutation { changePassword(input: {currentPassword: "a long passphrase", newPassword: "another long passphrase"}) { userErrors { code } } }`, nil)
	if got := r.UserErrorCodes("changePassword"); !codesAre(got, graph.CodeBusy) {
		t.Fatalf("changePassword at capacity: %v %+v", got, r.Errors)
	}
	release()
	if r := login(t, a.email, a.password, ip); r.Dig("login", "accessToken") == nil {
		t.Fatalf("login with a free slot: %v", r.UserErrorCodes("login"))
	}
}
