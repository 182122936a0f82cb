// The shop's order code on Node: callers of shop/stock.mjs.
import { checkStock, inventory, reserve, syncStock, validateSku, warehouse } from './stock.mjs';

export function placeOrder(order) {
  checkStock(order.sku, order.available);
  if (order.giftSku) {
    // the same function again, called from another line
    checkStock(order.giftSku, order.giftAvailable);
  }
}

export function holdItems(sku, how) {
  if (how === 'method') {
    inventory.reserve(sku);
  } else if (how === 'alias') {
    warehouse.hold(sku);
  } else {
    reserve(sku);
  }
}

export async function nightlySync(sku, remote) {
  await syncStock(sku, remote);
}

// The same check through a loop or through Array.prototype.forEach, whose frame reads "Array.forEach (<anonymous>)".
export function validateAll(skus, style) {
  if (style === 'forEach') {
    skus.forEach((sku) => validateSku(sku));
  } else {
    for (const sku of skus) {
      validateSku(sku);
    }
  }
}
