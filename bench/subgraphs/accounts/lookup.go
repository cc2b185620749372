package accounts

import (
	"github.com/virtual-store/virtual-store/bench/subgraphs"
	"github.com/virtual-store/virtual-store/bench/subgraphs/accounts/generated"
)

func user(id string) *generated.User {
	u, ok := subgraphs.UserByID(id)
	if !ok {
		return nil
	}
	return &generated.User{ID: u.ID, Name: &u.Name, Username: &u.Username}
}
