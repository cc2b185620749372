package main

// The GraphQL operations the simulated shoppers send to the router, one
// named operation per document (the router's metrics are labelled by the
// name). Every value travels in variables. operations_test.go validates each
// document against the supergraph composed from the subgraphs' schemas, and
// each scenario's variables against the document, so a schema change that
// breaks a shopper breaks that test.

// operation is a GraphQL document with one named operation.
type operation struct {
	Name string
	Doc  string
}

// The product fields a listing shows.
const listingFields = `
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id sku name
        price(currency: $currency) { amount currency formatted }
        availableQuantity
        category { id name }
        images { url }
      }
    }`

var (
	opCategories = operation{"Categories", `query Categories {
  categories { id slug name children { id slug name children { id slug name } } }
}`}

	// Browsing: a category, a price range, in-stock only, a sort order, pages.
	opBrowse = operation{"BrowseProducts", `query BrowseProducts($first: Int!, $after: String, $filter: ProductFilter, $sort: ProductSort, $currency: String) {
  products(first: $first, after: $after, filter: $filter, sort: $sort, currency: $currency) {` + listingFields + `
  }
}`}

	// Searching: full text (web-search syntax), by relevance.
	opSearch = operation{"SearchProducts", `query SearchProducts($first: Int!, $filter: ProductFilter!, $currency: String) {
  products(first: $first, filter: $filter, currency: $currency) {` + listingFields + `
  }
}`}

	opProduct = operation{"ProductPage", `query ProductPage($id: ID, $sku: String, $currency: String) {
  product(id: $id, sku: $sku) {
    id sku name description
    images { url altText }
    attributes { name value }
    category { id name path { slug name } }
    price(currency: $currency) { amount currency formatted }
    prices { amount currency }
    inStock availableQuantity
  }
}`}

	opRegister = operation{"Register", `mutation Register($input: RegisterInput!) {
  register(input: $input) { accessToken expiresAt user { id } userErrors { code message } }
}`}

	opLogin = operation{"Login", `mutation Login($input: LoginInput!) {
  login(input: $input) { accessToken expiresAt user { id } userErrors { code message } }
}`}

	opMe = operation{"Me", `query Me {
  me { id name email roles }
}`}

	opCart = operation{"Cart", `query Cart($currency: String) {
  cart(currency: $currency) {
    itemCount
    subtotal { formatted }
    lines { quantity available product { id name } unitPrice { formatted } lineTotal { formatted } }
  }
}`}

	opAddToCart = operation{"AddToCart", `mutation AddToCart($input: AddToCartInput!) {
  addToCart(input: $input) { cart { itemCount subtotal { formatted } } userErrors { code message } }
}`}

	opUpdateCartLine = operation{"UpdateCartLine", `mutation UpdateCartLine($input: UpdateCartLineInput!) {
  updateCartLine(input: $input) { cart { itemCount subtotal { formatted } } userErrors { code message } }
}`}

	opRemoveFromCart = operation{"RemoveFromCart", `mutation RemoveFromCart($productId: ID!) {
  removeFromCart(productId: $productId) { cart { itemCount subtotal { formatted } } userErrors { code message } }
}`}

	opCheckout = operation{"Checkout", `mutation Checkout($input: CheckoutInput!) {
  checkout(input: $input) {
    order { id status paymentStatus failureReason total { formatted } }
    userErrors { code message }
  }
}`}

	opOrderStatus = operation{"OrderStatus", `query OrderStatus($id: ID!) {
  order(id: $id) { id status paymentStatus }
}`}

	opMyOrders = operation{"MyOrders", `query MyOrders($first: Int) {
  me { orders(first: $first) { totalCount edges { node { id status paymentStatus total { formatted } } } } }
}`}

	opCancelOrder = operation{"CancelOrder", `mutation CancelOrder($id: ID!, $reason: String) {
  cancelOrder(id: $id, reason: $reason) { order { id status paymentStatus } userErrors { code message } }
}`}

	// The admin's stock view (stock is admin only).
	opStockLevels = operation{"StockLevels", `query StockLevels($first: Int!, $after: String) {
  products(first: $first, after: $after, sort: NAME) {
    pageInfo { hasNextPage endCursor }
    edges { node { id sku stock { onHand reserved available } } }
  }
}`}

	opRestock = operation{"Restock", `mutation Restock($input: AdjustStockInput!) {
  adjustStock(input: $input) { product { id stock { available } } userErrors { code message } }
}`}
)

// operations is every document the shoppers send (for the schema test).
var operations = []operation{
	opCategories, opBrowse, opSearch, opProduct, opRegister, opLogin, opMe,
	opCart, opAddToCart, opUpdateCartLine, opRemoveFromCart, opCheckout,
	opOrderStatus, opMyOrders, opCancelOrder, opStockLevels, opRestock,
}
