package store

// IsEntity marks Order as a federation entity for gqlgen.
func (Order) IsEntity() {}
