package accounts

import (
	"github.com/virtual-store/virtual-store/bench/subgraphs"
	"github.com/virtual-store/virtual-store/bench/subgraphs/accounts/generated"
)

func user(id string) *generated.User {
	for _, u := range subgraphs.Users {
		if u.ID == id {
			return &generated.User{ID: u.ID, Name: &u.Name, Username: &u.Username}
		}
	}
	return nil
}
