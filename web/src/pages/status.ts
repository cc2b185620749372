import type { OrderStatus, PaymentStatus } from '../gql/graphql';

export const statusText: Record<OrderStatus, string> = {
  PENDING: 'Pending',
  AWAITING_PAYMENT: 'Awaiting payment',
  PAID: 'Paid',
  FULFILLING: 'Being packed',
  SHIPPED: 'Shipped',
  DELIVERED: 'Delivered',
  CANCELLED: 'Cancelled',
  PAYMENT_FAILED: 'Payment failed',
  REFUNDED: 'Refunded',
};

export const paymentText: Record<PaymentStatus, string> = {
  NONE: 'No charge',
  PENDING: 'Charge pending',
  CAPTURED: 'Charged',
  DECLINED: 'Declined',
  FAILED: 'Failed',
  REFUNDED: 'Refunded',
};

/** States after which an order changes no more. */
export const finalStatuses: OrderStatus[] = ['DELIVERED', 'CANCELLED', 'PAYMENT_FAILED', 'REFUNDED'];

// The order's failureReason (subgraphs/order/lifecycle), in words; the
// card's own words are the payment gateway's messages.
const failures: Record<string, string> = {
  CARD_DECLINED: 'Your card was declined.',
  INSUFFICIENT_FUNDS: 'Your card has insufficient funds.',
  PAYMENT_PROCESSING_ERROR: 'An error occurred while processing your card.',
  PAYMENT_REFUSED: 'The payment was refused.',
  OUT_OF_STOCK: 'A product ran out of stock.',
  PRODUCT_UNAVAILABLE: 'A product is no longer sold.',
  RESERVATION_LAPSED: 'The stock reservation expired during payment; you were refunded.',
  CANCELLED_BY_CUSTOMER: 'You cancelled the order.',
  CANCELLED_BY_ADMIN: 'The store cancelled the order.',
};

export function failureText(reason: string): string {
  return failures[reason] ?? `The order failed (${reason}).`;
}

export function date(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
