package main

// The variables of each operation, built in one place (operations_test.go
// validates them against the documents).

func browseVars(first int, after string, filter map[string]any, sort, currency string) map[string]any {
	v := map[string]any{"first": first, "currency": currency, "sort": sort}
	if after != "" {
		v["after"] = after
	}
	if len(filter) > 0 {
		v["filter"] = filter
	}
	return v
}

func searchVars(first int, query string, inStock bool, currency string) map[string]any {
	filter := map[string]any{"query": query}
	if inStock {
		filter["inStock"] = true
	}
	return map[string]any{"first": first, "filter": filter, "currency": currency}
}

func productVars(id, sku, currency string) map[string]any {
	if sku != "" {
		return map[string]any{"sku": sku, "currency": currency}
	}
	return map[string]any{"id": id, "currency": currency}
}

func registerVars(email, password, name string) map[string]any {
	return map[string]any{"input": map[string]any{"email": email, "password": password, "name": name}}
}

func loginVars(email, password string) map[string]any {
	return map[string]any{"input": map[string]any{"email": email, "password": password}}
}

func cartVars(currency string) map[string]any { return map[string]any{"currency": currency} }

func addToCartVars(productID string, quantity int, currency string) map[string]any {
	return map[string]any{"input": map[string]any{"productId": productID, "quantity": quantity, "currency": currency}}
}

func updateCartLineVars(productID string, quantity int) map[string]any {
	return map[string]any{"input": map[string]any{"productId": productID, "quantity": quantity}}
}

func removeFromCartVars(productID string) map[string]any {
	return map[string]any{"productId": productID}
}

// The mock gateway's test cards: the first succeeds, the others fail (two
// declines, and a processor error: the gateway answers 500).
const (
	cardOK         = "tok_visa"
	cardDeclined   = "tok_chargeDeclined"
	cardNoFunds    = "tok_insufficientFunds"
	cardProcessing = "tok_processingError"
)

func checkoutVars(idempotencyKey, paymentToken, currency string) map[string]any {
	return map[string]any{"input": map[string]any{
		"idempotencyKey": idempotencyKey,
		"paymentToken":   paymentToken,
		"currency":       currency,
		"shippingAddress": map[string]any{
			"fullName": "Load Generator", "line1": "Main St 1", "city": "Berlin",
			"postalCode": "10115", "country": "DE",
		},
	}}
}

func orderVars(id string) map[string]any { return map[string]any{"id": id} }

func myOrdersVars(first int) map[string]any { return map[string]any{"first": first} }

func cancelVars(id, reason string) map[string]any {
	return map[string]any{"id": id, "reason": reason}
}

func stockLevelsVars(first int, after string) map[string]any {
	v := map[string]any{"first": first}
	if after != "" {
		v["after"] = after
	}
	return v
}

func restockVars(productID string, delta int, reason string) map[string]any {
	return map[string]any{"input": map[string]any{"productId": productID, "delta": delta, "reason": reason}}
}

func updateProfileVars(name, phone string) map[string]any {
	return map[string]any{"input": map[string]any{"name": name, "phone": phone}}
}

func addressInput(label, fullName, line1, city, postalCode, country string) map[string]any {
	return map[string]any{"label": label, "fullName": fullName, "line1": line1, "city": city, "postalCode": postalCode, "country": country}
}

func addAddressVars(input map[string]any) map[string]any { return map[string]any{"input": input} }

func updateAddressVars(id string, input map[string]any) map[string]any {
	return map[string]any{"id": id, "input": input}
}

func addressIDVars(id string) map[string]any { return map[string]any{"id": id} }

func refreshTokenVars(token string) map[string]any { return map[string]any{"token": token} }

func changePasswordVars(current, next string) map[string]any {
	return map[string]any{"input": map[string]any{"currentPassword": current, "newPassword": next}}
}

func logoutVars(refreshToken string) map[string]any {
	return map[string]any{"refreshToken": refreshToken}
}

func categoryPageVars(id string, first int, sort, currency string) map[string]any {
	return map[string]any{"id": id, "first": first, "sort": sort, "currency": currency}
}

func ordersToFulfilVars(first int, status string) map[string]any {
	return map[string]any{"first": first, "status": status}
}

func markShippedVars(id, trackingNumber string) map[string]any {
	return map[string]any{"id": id, "trackingNumber": trackingNumber}
}

func createCategoryVars(parentID, slug, name string) map[string]any {
	in := map[string]any{"slug": slug, "name": name, "description": "Products the load generator made"}
	if parentID != "" {
		in["parentId"] = parentID
	}
	return map[string]any{"input": in}
}

func createProductVars(sku, name, categoryID string, eurCents, stock int) map[string]any {
	in := map[string]any{
		"sku": sku, "name": name, "description": "Made by the load generator's admin.",
		"prices":       []any{map[string]any{"amount": eurCents, "currency": "EUR"}, map[string]any{"amount": eurCents + eurCents/10, "currency": "USD"}},
		"initialStock": stock,
		"attributes":   []any{map[string]any{"name": "origin", "value": "loadgen"}},
	}
	if categoryID != "" {
		in["categoryId"] = categoryID
	}
	return map[string]any{"input": in}
}

func updateProductVars(id, description string) map[string]any {
	return map[string]any{"input": map[string]any{"id": id, "description": description}}
}

func setPriceVars(productID string, amount int, currency string) map[string]any {
	return map[string]any{"input": map[string]any{"productId": productID, "price": map[string]any{"amount": amount, "currency": currency}}}
}

func priceHistoryVars(id string, first int) map[string]any {
	return map[string]any{"id": id, "first": first}
}

func productIDVars(id string) map[string]any { return map[string]any{"id": id} }

func userVars(id string) map[string]any { return map[string]any{"id": id} }

func roleVars(userID, role string) map[string]any {
	return map[string]any{"userId": userID, "role": role}
}
