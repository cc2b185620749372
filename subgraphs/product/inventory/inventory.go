// Package inventory keeps stock levels and the reservations that hold stock
// for orders between checkout and payment. Every operation is one PostgreSQL
// transaction; overselling is ruled out by conditional updates and by CHECK
// constraints on the stock table, not by application-level locks.
package inventory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/subgraphs/product/store"
)

// Status of a reservation.
type Status = store.ReservationStatus

// Reservation states: ACTIVE holds stock until it expires; COMMITTED has
// consumed it; RELEASED and EXPIRED gave it back; RETURNED put committed
// units back on the shelf (an order cancelled after payment).
const (
	StatusActive    = store.ReservationStatusACTIVE
	StatusCommitted = store.ReservationStatusCOMMITTED
	StatusReleased  = store.ReservationStatusRELEASED
	StatusExpired   = store.ReservationStatusEXPIRED
	StatusReturned  = store.ReservationStatusRETURNED
)

// Limits of a reservation request.
const (
	MaxLines        = 100
	MaxLineQuantity = 10_000
	MaxTTL          = 24 * time.Hour
)

// Line asks for a quantity of one product.
type Line struct {
	ProductID uuid.UUID `json:"productId"`
	Quantity  int       `json:"quantity"`
}

// ReservedLine is a held quantity with the unit price captured when it was reserved.
type ReservedLine struct {
	ProductID uuid.UUID   `json:"productId"`
	Quantity  int         `json:"quantity"`
	UnitPrice money.Money `json:"unitPrice"`
}

// Reservation is the stock held for one order.
type Reservation struct {
	OrderID   string         `json:"orderId"`
	Status    Status         `json:"status"`
	Currency  string         `json:"currency"`
	ExpiresAt time.Time      `json:"expiresAt"`
	CreatedAt time.Time      `json:"createdAt"`
	Lines     []ReservedLine `json:"lines"`
}

// Errors of reservation operations. Callers match them with errors.Is; the
// errors carry details (which product, which state) in their messages.
var (
	ErrInvalid            = errors.New("invalid reservation request")
	ErrNotFound           = errors.New("reservation not found")
	ErrConflict           = errors.New("reservation conflict")
	ErrProductNotFound    = errors.New("product not found")
	ErrProductUnavailable = errors.New("product unavailable")
	ErrInsufficientStock  = errors.New("insufficient stock")
	ErrStockBelowReserve  = errors.New("stock would fall below zero or below reserved units")
)

// Shortage tells, for one line that could not be reserved, what was there.
type Shortage struct {
	ProductID uuid.UUID `json:"productId"`
	Requested int       `json:"requested"`
	Available int       `json:"available"`
}

// InsufficientStockError lists every line that could not be reserved.
type InsufficientStockError struct{ Shortages []Shortage }

func (e *InsufficientStockError) Error() string {
	return fmt.Sprintf("insufficient stock for %d product(s)", len(e.Shortages))
}

// Is makes errors.Is(err, ErrInsufficientStock) true.
func (e *InsufficientStockError) Is(target error) bool { return target == ErrInsufficientStock }

// Kinds of restock, the kind label of inventory_restocks_total.
const (
	RestockAdjustment = "adjustment" // an admin added units on hand (a delivery, a stock count)
	RestockReturn     = "return"     // a committed reservation's units came back (an order cancelled after payment)
)

// Metrics is told of the stock events the service counts, once each, after
// their transaction committed.
type Metrics interface {
	// Stockout: a reservation refused for insufficient stock.
	Stockout()
	// ReservationsExpired: the sweeper expired n reservations.
	ReservationsExpired(n int)
	// Restocked: units came back on hand (kind RestockAdjustment or RestockReturn).
	Restocked(kind string)
}

// Inventory manages stock and reservations in PostgreSQL.
type Inventory struct {
	pool *pgxpool.Pool
	q    *store.Queries
	log  *slog.Logger
	// DefaultTTL is how long a reservation holds stock unless committed.
	DefaultTTL time.Duration
	// Metrics counts stock events; nil counts nothing. Set it before use.
	Metrics Metrics
}

// New returns an Inventory over pool.
func New(pool *pgxpool.Pool, log *slog.Logger, defaultTTL time.Duration) *Inventory {
	return &Inventory{pool: pool, q: store.New(pool), log: log, DefaultTTL: defaultTTL}
}

// Reserve holds stock for every line of an order, all or nothing, at the
// prices current in currency. It is idempotent by orderID: a repeated call
// with the same lines returns the existing reservation (created=false), a
// call with different lines fails with ErrConflict, and so does a call for an
// order that was already released (its compensation won the race).
func (inv *Inventory) Reserve(ctx context.Context, orderID, currency string, lines []Line, ttl time.Duration) (res Reservation, created bool, err error) {
	if ttl == 0 {
		ttl = inv.DefaultTTL
	}
	lines, err = normalize(orderID, currency, lines, ttl)
	if err != nil {
		return Reservation{}, false, err
	}
	err = postgres.InTx(ctx, inv.pool, func(tx pgx.Tx) error {
		q := inv.q.WithTx(tx)
		n, err := q.InsertReservation(ctx, store.InsertReservationParams{
			OrderID: orderID, Status: StatusActive, Currency: currency, ExpiresAt: time.Now().Add(ttl),
		})
		if err != nil {
			return fmt.Errorf("claim order id: %w", err)
		}
		if n == 0 {
			res, err = load(ctx, q, orderID)
			if err != nil {
				return err
			}
			return sameRequest(res, currency, lines)
		}
		created = true
		return reserveLines(ctx, q, orderID, currency, lines)
	})
	if err != nil {
		if errors.Is(err, ErrInsufficientStock) && inv.Metrics != nil {
			inv.Metrics.Stockout()
		}
		return Reservation{}, false, err
	}
	if created {
		res, err = load(ctx, inv.q, orderID)
	}
	return res, created, err
}

// normalize validates a request and merges repeated products; lines come back
// sorted by product id so that concurrent reservations lock stock rows in one
// global order and cannot deadlock.
func normalize(orderID, currency string, lines []Line, ttl time.Duration) ([]Line, error) {
	switch {
	case orderID == "" || len(orderID) > 128:
		return nil, fmt.Errorf("%w: orderId must be 1-128 characters", ErrInvalid)
	case !money.ValidCurrency(currency):
		return nil, fmt.Errorf("%w: currency %q is not an ISO 4217 code", ErrInvalid, currency)
	case len(lines) == 0 || len(lines) > MaxLines:
		return nil, fmt.Errorf("%w: between 1 and %d lines", ErrInvalid, MaxLines)
	case ttl < time.Second || ttl > MaxTTL:
		return nil, fmt.Errorf("%w: ttl must be between 1s and %s", ErrInvalid, MaxTTL)
	}
	merged := map[uuid.UUID]int{}
	for _, l := range lines {
		if l.Quantity < 1 || l.Quantity > MaxLineQuantity {
			return nil, fmt.Errorf("%w: quantity of %s must be between 1 and %d", ErrInvalid, l.ProductID, MaxLineQuantity)
		}
		merged[l.ProductID] += l.Quantity
	}
	out := make([]Line, 0, len(merged))
	for id, q := range merged {
		if q > MaxLineQuantity {
			return nil, fmt.Errorf("%w: quantity of %s must be at most %d", ErrInvalid, id, MaxLineQuantity)
		}
		out = append(out, Line{ProductID: id, Quantity: q})
	}
	slices.SortFunc(out, func(a, b Line) int { return cmp.Compare(a.ProductID.String(), b.ProductID.String()) })
	return out, nil
}

func reserveLines(ctx context.Context, q *store.Queries, orderID, currency string, lines []Line) error {
	ids := make([]uuid.UUID, len(lines))
	for i, l := range lines {
		ids[i] = l.ProductID
	}
	prices, err := q.ProductPricesForUpdate(ctx, store.ProductPricesForUpdateParams{Currency: currency, Ids: ids})
	if err != nil {
		return fmt.Errorf("load prices: %w", err)
	}
	priceOf := make(map[uuid.UUID]store.ProductPricesForUpdateRow, len(prices))
	for _, p := range prices {
		priceOf[p.ID] = p
	}
	var short []Shortage
	for _, l := range lines {
		p, ok := priceOf[l.ProductID]
		switch {
		case !ok:
			return fmt.Errorf("%w: %s", ErrProductNotFound, l.ProductID)
		case !p.Active:
			return fmt.Errorf("%w: %s is archived", ErrProductUnavailable, l.ProductID)
		case !p.Amount.Valid:
			return fmt.Errorf("%w: %s has no price in %s", ErrProductUnavailable, l.ProductID, currency)
		}
		_, err := q.ReserveStock(ctx, store.ReserveStockParams{ProductID: l.ProductID, Quantity: int32(l.Quantity)})
		if errors.Is(err, pgx.ErrNoRows) {
			lvl, err := q.GetStock(ctx, l.ProductID)
			if err != nil {
				return fmt.Errorf("read stock: %w", err)
			}
			short = append(short, Shortage{ProductID: l.ProductID, Requested: l.Quantity, Available: int(lvl.OnHand - lvl.Reserved)})
			continue
		}
		if err != nil {
			return fmt.Errorf("reserve stock: %w", err)
		}
		if err := q.InsertReservationLine(ctx, store.InsertReservationLineParams{
			OrderID: orderID, ProductID: l.ProductID, Quantity: int32(l.Quantity), UnitAmount: p.Amount.Int64,
		}); err != nil {
			return fmt.Errorf("record line: %w", err)
		}
		if err := movement(ctx, q, l.ProductID, "RESERVED", 0, l.Quantity, orderID); err != nil {
			return err
		}
	}
	if len(short) > 0 {
		// Returning an error rolls back the lines already reserved above.
		return &InsufficientStockError{Shortages: short}
	}
	return nil
}

// sameRequest decides whether a repeated Reserve matches the original.
func sameRequest(res Reservation, currency string, lines []Line) error {
	if res.Status == StatusReleased || res.Status == StatusExpired {
		// The stock is no longer held; the caller must use a new order id.
		return fmt.Errorf("%w: order %s is %s", ErrConflict, res.OrderID, res.Status)
	}
	if res.Currency != currency || len(res.Lines) != len(lines) {
		return fmt.Errorf("%w: order %s is reserved with other lines", ErrConflict, res.OrderID)
	}
	for i, l := range lines {
		if res.Lines[i].ProductID != l.ProductID || res.Lines[i].Quantity != l.Quantity {
			return fmt.Errorf("%w: order %s is reserved with other lines", ErrConflict, res.OrderID)
		}
	}
	return nil
}

// Commit turns the reservation into a sale: the units leave on_hand for good.
// Committing a committed reservation returns it unchanged. A reservation past
// its expiry that the sweeper has not yet expired still holds its stock, so
// it commits normally; one that was released or expired cannot.
func (inv *Inventory) Commit(ctx context.Context, orderID string) (Reservation, error) {
	res, _, err := inv.transition(ctx, orderID, StatusActive, StatusCommitted, []Status{StatusReturned}, func(q *store.Queries, l ReservedLine) error {
		if err := q.ConsumeStock(ctx, store.ConsumeStockParams{ProductID: l.ProductID, Quantity: int32(l.Quantity)}); err != nil {
			return fmt.Errorf("consume stock: %w", err)
		}
		return movement(ctx, q, l.ProductID, "COMMITTED", -l.Quantity, -l.Quantity, orderID)
	})
	return res, err
}

// Release gives the reserved stock back. It is idempotent, and releasing an
// order that was never reserved leaves a tombstone so that a reserve arriving
// late for the abandoned order is refused. A committed reservation cannot be
// released (restock returned goods with an adjustment instead).
func (inv *Inventory) Release(ctx context.Context, orderID string) (Reservation, error) {
	if orderID == "" || len(orderID) > 128 {
		return Reservation{}, fmt.Errorf("%w: orderId must be 1-128 characters", ErrInvalid)
	}
	// The tombstone: claims the order id if nobody reserved it yet.
	n, err := inv.q.InsertReservation(ctx, store.InsertReservationParams{
		OrderID: orderID, Status: StatusReleased, ExpiresAt: time.Now(),
	})
	if err != nil {
		return Reservation{}, fmt.Errorf("release %s: %w", orderID, err)
	}
	if n == 1 {
		return load(ctx, inv.q, orderID)
	}
	// An expired reservation has already given its stock back: nothing to do.
	res, _, err := inv.transition(ctx, orderID, StatusActive, StatusReleased, []Status{StatusExpired}, inv.giveBack(ctx, orderID, "RELEASED"))
	return res, err
}

// Return puts the units of a committed reservation back on the shelf, for an
// order cancelled after payment but before it shipped. Idempotent.
func (inv *Inventory) Return(ctx context.Context, orderID string) (Reservation, error) {
	res, changed, err := inv.transition(ctx, orderID, StatusCommitted, StatusReturned, nil, func(q *store.Queries, l ReservedLine) error {
		if err := q.RestockReturned(ctx, store.RestockReturnedParams{ProductID: l.ProductID, Quantity: int32(l.Quantity)}); err != nil {
			return fmt.Errorf("restock: %w", err)
		}
		return movement(ctx, q, l.ProductID, "RETURNED", l.Quantity, 0, orderID)
	})
	if changed && inv.Metrics != nil {
		inv.Metrics.Restocked(RestockReturn)
	}
	return res, err
}

func (inv *Inventory) giveBack(ctx context.Context, orderID, kind string) func(*store.Queries, ReservedLine) error {
	return func(q *store.Queries, l ReservedLine) error {
		if err := q.UnreserveStock(ctx, store.UnreserveStockParams{ProductID: l.ProductID, Quantity: int32(l.Quantity)}); err != nil {
			return fmt.Errorf("unreserve stock: %w", err)
		}
		return movement(ctx, q, l.ProductID, kind, 0, -l.Quantity, orderID)
	}
}

// transition moves a reservation from one state to target, applying perLine
// to each line in the same transaction. A reservation already in target, or
// in one of the equivalent states, is returned as is (idempotency); any other
// state is ErrConflict. changed tells whether this call moved it.
func (inv *Inventory) transition(ctx context.Context, orderID string, from, target Status, equivalent []Status, perLine func(*store.Queries, ReservedLine) error) (res Reservation, changed bool, err error) {
	err = postgres.InTx(ctx, inv.pool, func(tx pgx.Tx) error {
		q := inv.q.WithTx(tx)
		row, err := q.LockReservation(ctx, orderID)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: %s", ErrNotFound, orderID)
		}
		if err != nil {
			return fmt.Errorf("lock reservation: %w", err)
		}
		if res, err = withLines(ctx, q, row); err != nil {
			return err
		}
		switch {
		case res.Status == target || slices.Contains(equivalent, res.Status):
			return nil
		case res.Status != from:
			return fmt.Errorf("%w: order %s is %s", ErrConflict, orderID, res.Status)
		}
		for _, l := range res.Lines {
			if err := perLine(q, l); err != nil {
				return err
			}
		}
		if err := q.SetReservationStatus(ctx, store.SetReservationStatusParams{OrderID: orderID, Status: target}); err != nil {
			return fmt.Errorf("set status: %w", err)
		}
		res.Status = target
		changed = true
		return nil
	})
	return res, changed && err == nil, err
}

// Get returns the reservation of an order.
func (inv *Inventory) Get(ctx context.Context, orderID string) (Reservation, error) {
	return load(ctx, inv.q, orderID)
}

// ExpireDue expires up to limit reservations whose TTL has passed and returns
// how many it expired. Replicas can run it concurrently: rows being expired
// by one are skipped by the others.
func (inv *Inventory) ExpireDue(ctx context.Context, limit int) (int, error) {
	var n int
	err := postgres.InTx(ctx, inv.pool, func(tx pgx.Tx) error {
		q := inv.q.WithTx(tx)
		due, err := q.ExpiredReservations(ctx, int32(limit))
		if err != nil {
			return fmt.Errorf("find expired reservations: %w", err)
		}
		for _, orderID := range due {
			lines, err := q.ReservationLines(ctx, orderID)
			if err != nil {
				return fmt.Errorf("load lines: %w", err)
			}
			giveBack := inv.giveBack(ctx, orderID, "EXPIRED")
			for _, l := range lines {
				if err := giveBack(q, ReservedLine{ProductID: l.ProductID, Quantity: int(l.Quantity)}); err != nil {
					return err
				}
			}
			if err := q.SetReservationStatus(ctx, store.SetReservationStatusParams{OrderID: orderID, Status: StatusExpired}); err != nil {
				return fmt.Errorf("set status: %w", err)
			}
		}
		n = len(due)
		return nil
	})
	if err != nil {
		return 0, err
	}
	if n > 0 && inv.Metrics != nil {
		inv.Metrics.ReservationsExpired(n)
	}
	return n, nil
}

// ActiveReservations counts the reservations holding stock now (expired
// ones the sweeper has not reached yet included).
func (inv *Inventory) ActiveReservations(ctx context.Context) (int64, error) {
	return inv.q.CountActiveReservations(ctx)
}

// RunExpiry expires due reservations every interval until ctx ends.
func (inv *Inventory) RunExpiry(ctx context.Context, interval time.Duration) error {
	return service.Every(ctx, interval, func(ctx context.Context) {
		for {
			n, err := inv.ExpireDue(ctx, 100)
			if err != nil {
				if ctx.Err() == nil {
					inv.log.Error("expire reservations", "err", err)
				}
				return
			}
			if n > 0 {
				inv.log.Info("reservations expired", "count", n)
			}
			if n < 100 {
				return
			}
		}
	})
}

// Level is a product's stock.
type Level struct {
	OnHand    int `json:"onHand"`
	Reserved  int `json:"reserved"`
	Available int `json:"available"`
}

// Adjust adds delta (negative to remove) to the units on hand, e.g. after a
// delivery or a stock count. It refuses to go below zero or below the units
// reserved for open orders.
func (inv *Inventory) Adjust(ctx context.Context, productID uuid.UUID, delta int, reason, actor string) (Level, error) {
	var lvl Level
	err := postgres.InTx(ctx, inv.pool, func(tx pgx.Tx) error {
		q := inv.q.WithTx(tx)
		row, err := q.AdjustStock(ctx, store.AdjustStockParams{ProductID: productID, Delta: int32(delta)})
		if errors.Is(err, pgx.ErrNoRows) {
			if _, err := q.GetStock(ctx, productID); errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("%w: %s", ErrProductNotFound, productID)
			}
			return ErrStockBelowReserve
		}
		if err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "22003" { // integer overflow
				return fmt.Errorf("%w: delta too large", ErrInvalid)
			}
			return fmt.Errorf("adjust stock: %w", err)
		}
		lvl = Level{OnHand: int(row.OnHand), Reserved: int(row.Reserved), Available: int(row.OnHand - row.Reserved)}
		return q.InsertStockMovement(ctx, store.InsertStockMovementParams{
			ProductID: productID, Kind: "ADJUSTED", OnHandDelta: int32(delta), Reference: "adjustment by " + actor, Reason: reason,
		})
	})
	if err == nil && delta > 0 && inv.Metrics != nil {
		inv.Metrics.Restocked(RestockAdjustment)
	}
	return lvl, err
}

func movement(ctx context.Context, q *store.Queries, productID uuid.UUID, kind string, onHand, reserved int, ref string) error {
	err := q.InsertStockMovement(ctx, store.InsertStockMovementParams{
		ProductID: productID, Kind: kind, OnHandDelta: int32(onHand), ReservedDelta: int32(reserved), Reference: "order " + ref,
	})
	if err != nil {
		return fmt.Errorf("record stock movement: %w", err)
	}
	return nil
}

func load(ctx context.Context, q *store.Queries, orderID string) (Reservation, error) {
	row, err := q.GetReservation(ctx, orderID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Reservation{}, fmt.Errorf("%w: %s", ErrNotFound, orderID)
	}
	if err != nil {
		return Reservation{}, fmt.Errorf("load reservation: %w", err)
	}
	return withLines(ctx, q, row)
}

func withLines(ctx context.Context, q *store.Queries, row store.Reservation) (Reservation, error) {
	lines, err := q.ReservationLines(ctx, row.OrderID)
	if err != nil {
		return Reservation{}, fmt.Errorf("load reservation lines: %w", err)
	}
	res := Reservation{OrderID: row.OrderID, Status: row.Status, Currency: row.Currency,
		ExpiresAt: row.ExpiresAt, CreatedAt: row.CreatedAt, Lines: make([]ReservedLine, len(lines))}
	for i, l := range lines {
		res.Lines[i] = ReservedLine{ProductID: l.ProductID, Quantity: int(l.Quantity),
			UnitPrice: money.Money{Amount: l.UnitAmount, Currency: row.Currency}}
	}
	return res, nil
}

// Quote is a product's current price in one currency and what is available.
type Quote struct {
	ProductID uuid.UUID    `json:"productId"`
	Active    bool         `json:"active"`
	Available int          `json:"available"`
	UnitPrice *money.Money `json:"unitPrice"` // nil if not sold in the currency
}

// Quote prices products in currency for a cart; unknown ids are left out.
func (inv *Inventory) Quote(ctx context.Context, currency string, ids []uuid.UUID) ([]Quote, error) {
	if !money.ValidCurrency(currency) {
		return nil, fmt.Errorf("%w: currency %q is not an ISO 4217 code", ErrInvalid, currency)
	}
	if len(ids) > MaxLines {
		return nil, fmt.Errorf("%w: at most %d products", ErrInvalid, MaxLines)
	}
	rows, err := inv.q.QuoteProducts(ctx, store.QuoteProductsParams{Currency: currency, Ids: ids})
	if err != nil {
		return nil, fmt.Errorf("quote: %w", err)
	}
	out := make([]Quote, len(rows))
	for i, r := range rows {
		out[i] = Quote{ProductID: r.ID, Active: r.Active, Available: max(int(r.Available), 0)}
		if r.Amount.Valid {
			out[i].UnitPrice = &money.Money{Amount: r.Amount.Int64, Currency: currency}
		}
	}
	return out, nil
}
