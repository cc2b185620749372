package authn

import "time"

// SetClock sets the verifier's clock (for Ready's grace).
func SetClock(v *Verifier, now func() time.Time) { v.now = now }
