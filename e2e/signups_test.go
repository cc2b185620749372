package e2e

import (
	"fmt"
	"sync"
	"testing"
)

// A rush of sign-ups against the user service with production hashing
// (argon2id, 64 MiB, 3 passes) and its shipped bounds stays within memory:
// each hash holds 64 MiB, and 50 unbounded at once took 1.8 GB. Every
// answer is an account or BUSY (retry), never an error.
func TestSignUpRushStaysWithinMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("50 production-strength password hashes")
	}
	u := start(t, "user", "USER_DATA_DIR="+t.TempDir(), "USER_REGISTER_MAX_PER_IP=1000", "GOMEMLIMIT=192MiB" /* as make run */)
	base := u.usage(t).rss
	const n = 50
	var wg sync.WaitGroup
	codes := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data, err := gql(u.url(), "anonymous", `mutation($e: String!) { register(input: {email: $e, password: "a long passphrase", name: "Rush"}) { accessToken userErrors { code } } }`,
				map[string]any{"e": fmt.Sprintf("rush-%d@e2e.test", i)})
			switch {
			case err != nil:
				codes[i] = "error: " + err.Error()
			case data.Dig("register", "accessToken") != nil:
				codes[i] = "OK"
			default:
				codes[i] = fmt.Sprint(data.Dig("register", "userErrors"))
			}
		}()
	}
	wg.Wait()
	counts := map[string]int{}
	for _, c := range codes {
		counts[c]++
	}
	if counts["OK"] == 0 || counts["OK"]+counts["[map[code:BUSY]]"] != n {
		t.Fatalf("answers: %v; want accounts and BUSY only", counts)
	}
	end := u.usage(t)
	peak := end.peak
	t.Logf("%d concurrent sign-ups: %d accounts, %d BUSY; user service RSS %d MB before (with the embedded database), peak %d MB, after %d MB",
		n, counts["OK"], n-counts["OK"], base>>20, peak>>20, end.rss>>20)
	if peak > 300<<20 {
		t.Fatalf("peak RSS %d MB, want < 300 MB", peak>>20)
	}
}
