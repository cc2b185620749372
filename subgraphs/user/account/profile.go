package account

import (
	"context"
	"strings"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/subgraphs/user/store"
)

// UpdateProfile changes the name and phone (nil keeps a field).
func (s *Service) UpdateProfile(ctx context.Context, userID string, name, phone *string) (*User, error) {
	var fe graph.UserErrors
	if name != nil {
		if ue := checkName(name); ue != nil {
			fe = append(fe, ue)
		}
	}
	if phone != nil {
		*phone = strings.TrimSpace(*phone)
		if !validPhone(*phone) {
			fe = append(fe, invalidPhone())
		}
	}
	if len(fe) > 0 {
		return nil, fe
	}
	return changed(s.db.ModifyUser(ctx, userID, func(u *store.User) error {
		if name != nil {
			u.Name = *name
		}
		if phone != nil {
			u.Phone = *phone
		}
		return nil
	}))
}

// checkName trims a display name and is what is wrong with it (nil: nothing).
func checkName(name *string) *graph.UserError {
	*name = strings.TrimSpace(*name)
	if *name == "" || len(*name) > 200 {
		return graph.NewUserError(graph.CodeInvalidInput, "name must be 1-200 characters", "input", "name")
	}
	return nil
}

// invalidPhone is the user error of a phone validPhone refuses.
func invalidPhone() *graph.UserError {
	return graph.NewUserError(graph.CodeInvalidInput, "phone must be 6-20 digits, optionally with +, spaces, dashes", "input", "phone")
}

// validPhone accepts an empty phone (clearing it) or a plausible number.
func validPhone(p string) bool {
	if p == "" {
		return true
	}
	digits := 0
	for i, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == ' ', r == '-', r == '(', r == ')':
		default:
			return false
		}
	}
	return digits >= 6 && digits <= 20
}
