package user_test

import (
	"context"
	"testing"

	"github.com/virtual-store/virtual-store/subgraphs/user/store"
)

// A restart opens the store over existing collections and indexes (the
// embedded FerretDB once crashed on re-creating existing indexes).
func TestStoreReopensOverExistingData(t *testing.T) {
	for range 2 {
		st, err := store.Open(context.Background(), mongoURI, "user_test")
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		if err := st.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
		_ = st.Close(context.Background())
	}
}
