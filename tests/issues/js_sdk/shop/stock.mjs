// The shop's stock code on Node: where the captured Node events are thrown or sent from.
import * as Sentry from '@sentry/node';

export class OutOfStockError extends Error {
  constructor(sku) {
    super(`Out of stock: ${sku}`);
    this.name = 'OutOfStockError';
  }
}

export function checkStock(sku, available) {
  if (available < 1) {
    throw new OutOfStockError(sku);
  }
  return available;
}

export function reserve(sku) {
  throw new Error(`cannot reserve ${sku}: warehouse offline`);
}

// Called as a method, V8 names the frame after the receiver ("Object.reserve"), and adds "[as hold]" when the
// receiver holds it under another name.
export const inventory = { reserve };
export const warehouse = { hold: reserve };

export async function syncStock(sku, remote) {
  if (remote) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`stock sync failed for ${sku}`);
}

export function validateSku(sku) {
  if (!/^SKU-\d+$/.test(sku)) {
    throw new TypeError(`invalid SKU "${sku}"`);
  }
}

// Two different messages from one function: two problems, so two issues.
export function reportStock(sku, left) {
  if (left < 5) {
    Sentry.captureMessage(`Stock low for ${sku}: ${left} left`, 'warning');
  } else {
    Sentry.captureMessage('Stock report is late', 'warning');
  }
}

export function applyCoupon(code) {
  throw new RangeError(`coupon ${code} has expired`);
}
