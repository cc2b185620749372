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
  register(input: $input) { accessToken refreshToken expiresAt user { id } userErrors { code message } }
}`}

	opLogin = operation{"Login", `mutation Login($input: LoginInput!) {
  login(input: $input) { accessToken refreshToken expiresAt user { id } userErrors { code message } }
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

// The account pages: profile, addresses, sessions.
var (
	// What an address mutation answers: the user's addresses after it.
	addressesPayload = `user { id addresses { id label city isDefaultShipping } defaultShippingAddress { id } } userErrors { code message }`

	opAccount = operation{"Account", `query Account {
  me { id name email phone roles addresses { id label fullName line1 city postalCode country isDefaultShipping } defaultShippingAddress { id label } }
}`}

	opUpdateProfile = operation{"UpdateProfile", `mutation UpdateProfile($input: UpdateProfileInput!) {
  updateProfile(input: $input) { user { id name phone } userErrors { code message } }
}`}

	opAddAddress = operation{"AddAddress", `mutation AddAddress($input: AddressInput!) {
  addAddress(input: $input) { ` + addressesPayload + ` }
}`}

	opUpdateAddress = operation{"UpdateAddress", `mutation UpdateAddress($id: ID!, $input: AddressInput!) {
  updateAddress(id: $id, input: $input) { ` + addressesPayload + ` }
}`}

	opSetDefaultAddress = operation{"SetDefaultShippingAddress", `mutation SetDefaultShippingAddress($id: ID!) {
  setDefaultShippingAddress(id: $id) { ` + addressesPayload + ` }
}`}

	opRemoveAddress = operation{"RemoveAddress", `mutation RemoveAddress($id: ID!) {
  removeAddress(id: $id) { ` + addressesPayload + ` }
}`}

	opRefreshToken = operation{"RefreshToken", `mutation RefreshToken($token: String!) {
  refreshToken(token: $token) { accessToken refreshToken expiresAt userErrors { code message } }
}`}

	opChangePassword = operation{"ChangePassword", `mutation ChangePassword($input: ChangePasswordInput!) {
  changePassword(input: $input) { user { id } userErrors { code message } }
}`}

	opLogout = operation{"Logout", `mutation Logout($refreshToken: String!) {
  logout(refreshToken: $refreshToken) { ok userErrors { code message } }
}`}

	opClearCart = operation{"ClearCart", `mutation ClearCart {
  clearCart { cart { itemCount } userErrors { code message } }
}`}

	// A category's page: where it sits, its subcategories, its products.
	opCategoryPage = operation{"CategoryPage", `query CategoryPage($id: ID!, $first: Int, $sort: ProductSort, $currency: String) {
  category(id: $id) {
    id name description
    parent { id name }
    children { id name }
    products(first: $first, sort: $sort, currency: $currency) {` + listingFields + `
    }
  }
}`}

	// An order's page, as its customer (or an admin) sees it.
	// The order page's live status (a subscription, over SSE): its first
	// event is the order as it is.
	opWatchOrder = operation{"WatchOrder", `subscription WatchOrder($id: ID!) {
  orderStatusChanged(orderId: $id) { id status paymentStatus lines { quantity product { name } } }
}`}

	opOrderDetails = operation{"OrderDetails", `query OrderDetails($id: ID!) {
  order(id: $id) {
    id status paymentStatus currency failureReason trackingNumber createdAt
    user { id name }
    lines { quantity product { id name } unitPrice { formatted } lineTotal { formatted } }
    subtotal { formatted } total { formatted }
    shippingAddress { fullName line1 city postalCode country }
    history { from to paymentStatus actor note at }
  }
}`}
)

// The admin's back office: orders to fulfil, the catalog, staff.
var (
	opOrdersToFulfil = operation{"OrdersToFulfil", `query OrdersToFulfil($first: Int, $status: OrderStatus) {
  orders(first: $first, status: $status) {
    totalCount
    edges { node { id createdAt total { formatted } user { id name email } lines { quantity product { id name } } shippingAddress { fullName city country } } }
  }
}`}

	opStartFulfillment = operation{"StartFulfillment", `mutation StartFulfillment($id: ID!) {
  startFulfillment(id: $id) { order { id status } userErrors { code message } }
}`}

	opMarkShipped = operation{"MarkShipped", `mutation MarkShipped($id: ID!, $trackingNumber: String!) {
  markShipped(id: $id, trackingNumber: $trackingNumber) { order { id status trackingNumber } userErrors { code message } }
}`}

	opMarkDelivered = operation{"MarkDelivered", `mutation MarkDelivered($id: ID!) {
  markDelivered(id: $id) { order { id status } userErrors { code message } }
}`}

	opCreateCategory = operation{"CreateCategory", `mutation CreateCategory($input: CreateCategoryInput!) {
  createCategory(input: $input) { category { id slug } userErrors { code message } }
}`}

	opCreateProduct = operation{"CreateProduct", `mutation CreateProduct($input: CreateProductInput!) {
  createProduct(input: $input) { product { id sku } userErrors { code message } }
}`}

	opUpdateProduct = operation{"UpdateProduct", `mutation UpdateProduct($input: UpdateProductInput!) {
  updateProduct(input: $input) { product { id name description } userErrors { code message } }
}`}

	opSetPrice = operation{"SetPrice", `mutation SetPrice($input: SetPriceInput!) {
  setPrice(input: $input) { product { id prices { amount currency } } userErrors { code message } }
}`}

	opPriceHistory = operation{"PriceHistory", `query PriceHistory($id: ID!, $first: Int) {
  product(id: $id) { id name priceHistory(first: $first) { currency oldPrice { formatted } newPrice { formatted } changedBy changedAt } }
}`}

	opArchiveProduct = operation{"ArchiveProduct", `mutation ArchiveProduct($id: ID!) {
  archiveProduct(id: $id) { product { id active } userErrors { code message } }
}`}

	opRestoreProduct = operation{"RestoreProduct", `mutation RestoreProduct($id: ID!) {
  restoreProduct(id: $id) { product { id active } userErrors { code message } }
}`}

	opUser = operation{"User", `query User($id: ID!) {
  user(id: $id) { id name email roles createdAt }
}`}

	opGrantRole = operation{"GrantRole", `mutation GrantRole($userId: ID!, $role: Role!) {
  grantRole(userId: $userId, role: $role) { user { id roles } userErrors { code message } }
}`}

	opRevokeRole = operation{"RevokeRole", `mutation RevokeRole($userId: ID!, $role: Role!) {
  revokeRole(userId: $userId, role: $role) { user { id roles } userErrors { code message } }
}`}
)

// Client mistakes (the mistakes scenario): requests the store refuses.
var (
	// A session that ended: the client still sends its old token.
	opStaleSession = operation{"StaleSession", `query StaleSession {
  me { id name }
}`}

	// A link to an order with a malformed id.
	opBrokenOrderLink = operation{"BrokenOrderLink", `query BrokenOrderLink($id: ID!) {
  order(id: $id) { id status }
}`}

	// A client that nests deeper than the router allows (12 levels).
	opTooDeep = operation{"TooDeep", `query TooDeep {
  categories { children { children { children { children { children { children { children { children { children { children { children { children { id } } } } } } } } } } } } }
}`}
)

// operations is every document the shoppers send (for the schema test).
var operations = []operation{
	opCategories, opBrowse, opSearch, opProduct, opRegister, opLogin, opMe,
	opCart, opAddToCart, opUpdateCartLine, opRemoveFromCart, opCheckout,
	opOrderStatus, opMyOrders, opCancelOrder, opStockLevels, opRestock,
	opAccount, opUpdateProfile, opAddAddress, opUpdateAddress, opSetDefaultAddress, opRemoveAddress,
	opRefreshToken, opChangePassword, opLogout, opClearCart, opCategoryPage, opOrderDetails, opWatchOrder,
	opOrdersToFulfil, opStartFulfillment, opMarkShipped, opMarkDelivered,
	opCreateCategory, opCreateProduct, opUpdateProduct, opSetPrice, opPriceHistory, opArchiveProduct, opRestoreProduct,
	opUser, opGrantRole, opRevokeRole,
	opStaleSession, opBrokenOrderLink, opTooDeep,
}
