package catalog

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/money"
)

// Limits of catalog input; the database CHECKs repeat them as a backstop.
const (
	maxNameLen        = 200
	maxDescriptionLen = 10000
	maxImages         = 20
	maxAttributes     = 50
	maxAttributeLen   = 200
	maxStock          = 1_000_000
	maxPriceAmount    = 1_000_000_000 // ten million in a two-decimal currency
)

var (
	skuPattern  = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,63}$`)
	slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

// formErrors collects every problem of one input, so the client can show all
// of them at once instead of one per round trip.
type formErrors graph.UserErrors

func (f *formErrors) add(code graph.UserErrorCode, msg string, path ...string) {
	*f = append(*f, graph.NewUserError(code, msg, append([]string{"input"}, path...)...))
}

func (f formErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return graph.UserErrors(f)
}

func validateNewProduct(in NewProduct) error {
	var fe formErrors
	if !skuPattern.MatchString(in.SKU) {
		fe.add(graph.CodeInvalidInput, "SKU must be 2-64 characters of A-Z, 0-9 and '-', starting with a letter or digit", "sku")
	}
	validateName(&fe, in.Name)
	validateText(&fe, in.Description)
	validateImages(&fe, in.Images)
	validateAttributes(&fe, in.Attributes)
	if in.InitialStock < 0 || in.InitialStock > maxStock {
		fe.add(graph.CodeInvalidInput, fmt.Sprintf("initial stock must be between 0 and %d", maxStock), "initialStock")
	}
	seen := map[string]bool{}
	for i, p := range in.Prices {
		if err := validatePrice(p, "prices", fmt.Sprint(i)); err != nil {
			fe = append(fe, err.(graph.UserErrors)...)
		}
		if seen[p.Currency] {
			fe.add(graph.CodeInvalidInput, "two prices in "+p.Currency, "prices", fmt.Sprint(i), "currency")
		}
		seen[p.Currency] = true
	}
	return fe.err()
}

func validateUpdate(u ProductUpdate) error {
	var fe formErrors
	if u.Name != nil {
		validateName(&fe, *u.Name)
	}
	if u.Description != nil {
		validateText(&fe, *u.Description)
	}
	if u.ClearCategory && u.CategoryID != nil {
		fe.add(graph.CodeInvalidInput, "give either categoryId or clearCategory, not both", "clearCategory")
	}
	validateImages(&fe, u.Images)
	validateAttributes(&fe, u.Attributes)
	return fe.err()
}

func validateName(fe *formErrors, name string) {
	if name == "" || len(name) > maxNameLen {
		fe.add(graph.CodeInvalidInput, fmt.Sprintf("name must be 1-%d characters", maxNameLen), "name")
	}
}

func validateText(fe *formErrors, s string) {
	if len(s) > maxDescriptionLen {
		fe.add(graph.CodeInvalidInput, fmt.Sprintf("description must be at most %d characters", maxDescriptionLen), "description")
	}
}

func validateImages(fe *formErrors, images []Image) {
	if len(images) > maxImages {
		fe.add(graph.CodeInvalidInput, fmt.Sprintf("at most %d images", maxImages), "images")
	}
	for i, img := range images {
		u, err := url.Parse(img.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			fe.add(graph.CodeInvalidInput, "image URL must be an absolute http(s) URL", "images", fmt.Sprint(i), "url")
		}
	}
}

func validateAttributes(fe *formErrors, attrs []Attribute) {
	if len(attrs) > maxAttributes {
		fe.add(graph.CodeInvalidInput, fmt.Sprintf("at most %d attributes", maxAttributes), "attributes")
	}
	seen := map[string]bool{}
	for i, a := range attrs {
		name := strings.TrimSpace(a.Name)
		if name == "" || len(name) > maxAttributeLen || len(a.Value) > maxAttributeLen {
			fe.add(graph.CodeInvalidInput, fmt.Sprintf("attribute name must be 1-%d characters, value at most %d", maxAttributeLen, maxAttributeLen), "attributes", fmt.Sprint(i))
		}
		if seen[name] {
			fe.add(graph.CodeInvalidInput, "attribute "+name+" given twice", "attributes", fmt.Sprint(i), "name")
		}
		seen[name] = true
	}
}

func validatePrice(p money.Money, path ...string) error {
	var fe formErrors
	if !money.ValidCurrency(p.Currency) {
		fe.add(graph.CodeInvalidCurrency, fmt.Sprintf("%q is not an ISO 4217 currency code", p.Currency), append(path, "currency")...)
	}
	if p.Amount < 0 || p.Amount > maxPriceAmount {
		fe.add(graph.CodeInvalidInput, fmt.Sprintf("amount must be between 0 and %d minor units", maxPriceAmount), append(path, "amount")...)
	}
	return fe.err()
}

func notFound(field string) error {
	return graph.UserErrors{graph.NewUserError(graph.CodeNotFound, "no such "+strings.TrimSuffix(field, "Id"), "input", field)}
}

// mapWriteError turns constraint violations that input validation cannot see
// (a taken SKU, a vanished category) into UserErrors and wraps the rest.
func mapWriteError(err error, op string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505" && pgErr.ConstraintName == "products_sku_key":
			return graph.UserErrors{graph.NewUserError(graph.CodeAlreadyExists, "a product with this SKU exists", "input", "sku")}
		case pgErr.Code == "23505" && pgErr.ConstraintName == "categories_slug_key":
			return graph.UserErrors{graph.NewUserError(graph.CodeAlreadyExists, "a category with this slug exists", "input", "slug")}
		case pgErr.Code == "23503" && strings.Contains(pgErr.ConstraintName, "category_id"):
			return notFound("categoryId")
		case pgErr.Code == "23503" && strings.Contains(pgErr.ConstraintName, "parent_id"):
			return notFound("parentId")
		case pgErr.Code == "23503" && strings.Contains(pgErr.ConstraintName, "product_id"):
			return notFound("productId")
		}
	}
	if _, ok := errors.AsType[graph.UserErrors](err); ok {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

func nullUUID(id *uuid.UUID) uuid.NullUUID {
	if id == nil {
		return uuid.NullUUID{}
	}
	return uuid.NullUUID{UUID: *id, Valid: true}
}

func textPtr(s *string) pgtype.Text {
	if s == nil {
		return pgtype.Text{}
	}
	return pgtype.Text{String: *s, Valid: true}
}

func boolPtr(b *bool) pgtype.Bool {
	if b == nil {
		return pgtype.Bool{}
	}
	return pgtype.Bool{Bool: *b, Valid: true}
}

func int8Ptr(n *int64) pgtype.Int8 {
	if n == nil {
		return pgtype.Int8{}
	}
	return pgtype.Int8{Int64: *n, Valid: true}
}
