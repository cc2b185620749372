#!/usr/bin/env bash
# A customer's journey through the router's public GraphQL API, against a
# running store: register, sign in, list products, add one to the cart, check
# out with the mock gateway's test card tok_visa, and find the order PAID.
#
#   scripts/smoke-journey.sh BASE_URL        e.g. http://localhost:4000
#
# Only the router's /graphql is used (no subgraph, no database), so it works
# against `make run`, a port-forwarded cluster or a deployed store. It needs
# bash, curl and python3 (for JSON), and a catalog with a product in stock.
# It makes a new account per run (smoke-<time>-<random>@example.com).
#
# Environment: SMOKE_WAIT (default 120) seconds to wait for the router to
# answer with a supergraph; SMOKE_ORDER_WAIT (default 60) seconds to wait for
# an order still being paid to settle.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 BASE_URL   (e.g. http://localhost:4000)" >&2
  exit 2
fi
endpoint="${1%/}/graphql"
wait_router="${SMOKE_WAIT:-120}"
wait_order="${SMOKE_ORDER_WAIT:-60}"

step() { printf '== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# The request body {"query", "variables"} for QUERY and VARIABLES (JSON).
read -r -d '' BODY_PY <<'PY' || true
import json, sys
print(json.dumps({"query": sys.argv[1], "variables": json.loads(sys.argv[2] or "{}")}))
PY

# Reads a GraphQL response on stdin and prints the value at a dotted PATH
# (list indexes are numbers); strings print bare, anything else as JSON. Fails
# on a body that is not JSON, on GraphQL errors, on userErrors of the root
# field and on a missing or null value.
read -r -d '' PICK_PY <<'PY' || true
import json, sys
path = sys.argv[1]
raw = sys.stdin.read()
try:
    doc = json.loads(raw)
except ValueError:
    sys.exit("not a GraphQL response: " + raw[:500])
if doc.get("errors"):
    sys.exit("GraphQL errors: " + json.dumps(doc["errors"]))
node = doc.get("data")
parts = path.split(".")
root = node.get(parts[0]) if isinstance(node, dict) else None
if isinstance(root, dict) and root.get("userErrors"):
    sys.exit("userErrors: " + json.dumps(root["userErrors"]))
for p in parts:
    if isinstance(node, list) and p.isdigit() and int(p) < len(node):
        node = node[int(p)]
    elif isinstance(node, dict) and node.get(p) is not None:
        node = node[p]
    else:
        sys.exit("no " + path + " in the response: " + raw[:500])
print(node if isinstance(node, str) else json.dumps(node))
PY

# Prints the extensions.code of the response's first error (empty if none).
read -r -d '' ERROR_CODE_PY <<'PY' || true
import json, sys
raw = sys.stdin.read()
try:
    errors = json.loads(raw).get("errors") or []
except ValueError:
    sys.exit("not a GraphQL response: " + raw[:500])
print((errors[0].get("extensions") or {}).get("code", "") if errors else "")
PY

token=""
# gql QUERY [VARIABLES]: POSTs to the router (as the signed-in user once
# $token is set) and prints the response body, whatever its HTTP status.
gql() {
  local body
  body=$(python3 -c "$BODY_PY" "$1" "${2:-}")
  local auth=()
  if [ -n "$token" ]; then auth=(-H "Authorization: Bearer $token"); fi
  curl -sS --max-time 30 -H 'content-type: application/json' "${auth[@]}" \
    --data-binary "$body" "$endpoint"
}
pick() { python3 -c "$PICK_PY" "$1"; }
json_of() { python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }

step "router at $endpoint"
deadline=$((SECONDS + wait_router))
until [ "$(gql '{ __typename }' 2>/dev/null | pick __typename 2>/dev/null)" = "Query" ]; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    gql '{ __typename }' || true
    echo
    fail "the router at $endpoint did not answer { __typename } within ${wait_router}s"
  fi
  sleep 2
done
echo "answers"

email="smoke-$(date +%s)-$RANDOM@example.com"
password="smoke journey password $RANDOM"

step "register $email"
user_id=$(gql 'mutation($in: RegisterInput!) { register(input: $in) { user { id } userErrors { code message } } }' \
  "{\"in\": {\"email\": $(json_of "$email"), \"password\": $(json_of "$password"), \"name\": \"Smoke Journey\"}}" \
  | pick register.user.id)
echo "user $user_id"

step "anonymous cart is refused"
code=$(gql '{ cart { itemCount } }' | python3 -c "$ERROR_CODE_PY")
[ "$code" = "UNAUTHORIZED" ] || fail "an anonymous cart answered code '$code', want UNAUTHORIZED"
echo "UNAUTHORIZED"

step "login"
token=$(gql 'mutation($in: LoginInput!) { login(input: $in) { accessToken userErrors { code message } } }' \
  "{\"in\": {\"email\": $(json_of "$email"), \"password\": $(json_of "$password")}}" \
  | pick login.accessToken)
[ -n "$token" ] || fail "login returned no access token"
me=$(gql '{ me { id email } }' | pick me.id)
[ "$me" = "$user_id" ] || fail "me is $me, want $user_id"
echo "signed in as $me"

step "list products in stock"
products=$(gql '{ products(first: 5, filter: {inStock: true}) { totalCount edges { node { id name availableQuantity price { formatted } } } } }')
total=$(printf '%s' "$products" | pick products.totalCount)
[ "$total" -gt 0 ] || fail "no product in stock (is the catalog seeded? PRODUCT_SEED=true)"
product_id=$(printf '%s' "$products" | pick products.edges.0.node.id)
product_name=$(printf '%s' "$products" | pick products.edges.0.node.name)
price=$(printf '%s' "$products" | pick products.edges.0.node.price.formatted)
echo "$total in stock; taking $product_name ($product_id) at $price"

step "add to cart"
items=$(gql 'mutation($in: AddToCartInput!) { addToCart(input: $in) { cart { itemCount subtotal { formatted } } userErrors { code message } } }' \
  "{\"in\": {\"productId\": $(json_of "$product_id"), \"quantity\": 1}}" \
  | pick addToCart.cart.itemCount)
[ "$items" = "1" ] || fail "the cart holds $items items, want 1"
echo "cart: 1 item"

step "checkout with tok_visa"
key="smoke-$(python3 -c 'import uuid; print(uuid.uuid4())')"
order=$(gql 'mutation($in: CheckoutInput!) { checkout(input: $in) { order { id status total { formatted } } userErrors { code message } } }' \
  "{\"in\": {\"idempotencyKey\": $(json_of "$key"), \"paymentToken\": \"tok_visa\",
     \"shippingAddress\": {\"fullName\": \"Smoke Journey\", \"line1\": \"Main St 1\", \"city\": \"Berlin\", \"postalCode\": \"10115\", \"country\": \"DE\"}}}")
order_id=$(printf '%s' "$order" | pick checkout.order.id)
status=$(printf '%s' "$order" | pick checkout.order.status)
echo "order $order_id: $status, total $(printf '%s' "$order" | pick checkout.order.total.formatted)"

# Checkout answers after ORDER_CHECKOUT_WAIT even if the saga is still running;
# the order then settles on its own.
deadline=$((SECONDS + wait_order))
while [ "$status" = "PENDING" ] || [ "$status" = "AWAITING_PAYMENT" ]; do
  [ "$SECONDS" -lt "$deadline" ] || break
  sleep 2
  status=$(gql 'query($id: ID!) { order(id: $id) { status } }' "{\"id\": $(json_of "$order_id")}" | pick order.status)
  echo "order $order_id: $status"
done
# Paid, or already moved on by the shop (a store under load, where staff
# fulfil paid orders as they come: make verify-cluster runs this beside it).
paid() { case $1 in PAID | FULFILLING | SHIPPED | DELIVERED) return 0 ;; esac; return 1; }
paid "$status" || fail "order $order_id is $status, want PAID"

step "the order in my orders"
mine=$(gql '{ me { orders(first: 1) { edges { node { id status lines { quantity product { name } } } } } } }')
[ "$(printf '%s' "$mine" | pick me.orders.edges.0.node.id)" = "$order_id" ] || fail "my newest order is not $order_id: $mine"
status=$(printf '%s' "$mine" | pick me.orders.edges.0.node.status)
paid "$status" || fail "my order is not PAID: $mine"
[ "$(printf '%s' "$mine" | pick me.orders.edges.0.node.lines.0.product.name)" = "$product_name" ] || fail "my order's line is not $product_name: $mine"
echo "order $order_id is $status: 1 x $product_name"

echo "smoke journey passed"
