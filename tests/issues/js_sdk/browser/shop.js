// The browser side of the fixtures: a small shop page's script with the real @sentry/browser, bundled by
// capture.mjs (esbuild, not minified) and run in Chromium. The transport keeps each envelope it would send in
// window.sentEnvelopes instead of sending it. The page's ?scenario= says what to do once loaded.
import * as Sentry from '@sentry/browser';

window.sentEnvelopes = [];

Sentry.init({
  dsn: 'http://public@127.0.0.1:9/1',
  release: `shop-web@${SHOP_VERSION}`,
  environment: 'production',
  transport: (options) =>
    Sentry.createTransport(options, (request) => {
      const body = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body);
      window.sentEnvelopes.push(body);
      return Promise.resolve({ statusCode: 200 });
    }),
});

function total(cart) {
  let sum = 0;
  for (const item of cart.items) {
    if (item.price === undefined) {
      throw new TypeError(`price missing for ${item.sku}`);
    }
    sum += item.price * item.quantity;
  }
  return sum;
}

function checkout(cart) {
  return total(cart);
}

// One handler for the "Buy" button and the "Buy" link: Chrome names its frame after the element it runs on
// ("HTMLButtonElement.onBuy", "HTMLAnchorElement.onBuy").
function onBuy(event) {
  event.preventDefault();
  throw new Error(`cannot buy ${event.currentTarget.dataset.sku}: basket locked`);
}

async function loadCart(id, cached) {
  if (!cached) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`cart ${id} could not be loaded`);
}

// After its first await, Chrome names the frame of an awaiting caller "async openCart".
async function openCart(id, cached) {
  return await loadCart(id, cached);
}

function validateSku(sku) {
  if (!/^SKU-\d+$/.test(sku)) {
    throw new TypeError(`invalid SKU "${sku}"`);
  }
}

// The same check through a loop or through Array.prototype.forEach, whose frame reads "Array.forEach (<anonymous>)".
function validateAll(skus, style) {
  if (style === 'forEach') {
    skus.forEach((sku) => validateSku(sku));
  } else {
    for (const sku of skus) {
      validateSku(sku);
    }
  }
}

// Two different messages from one function: two problems, so two issues.
function reportStock(sku, left) {
  if (left < 5) {
    Sentry.captureMessage(`Stock low for ${sku}: ${left} left`, 'warning');
  } else {
    Sentry.captureMessage('Stock report is late', 'warning');
  }
}

function applyCoupon(code) {
  throw new RangeError(`coupon ${code} has expired`);
}

document.getElementById('buy').addEventListener('click', onBuy);
document.getElementById('buy-link').addEventListener('click', onBuy);

// Errors are left uncaught, as on most pages: the SDK's global handlers report them.
function runScenario(name) {
  switch (name) {
    case 'checkout':
      return checkout({ items: [{ sku: 'SKU-1', quantity: 1 }] });
    case 'validate_loop':
      return validateAll(['SKU-4', 'sku 4'], 'loop');
    case 'validate_foreach':
      return validateAll(['SKU-4', 'sku 4'], 'forEach');
    case 'message_low_sku1':
      return reportStock('SKU-1', 2);
    case 'message_low_sku2':
      return reportStock('SKU-2', 3);
    case 'message_late':
      return reportStock('SKU-1', 40);
    case 'coupon':
      return applyCoupon('WINTER');
  }
}

const page = new URLSearchParams(window.location.search);
const scenario = page.get('scenario');
if (scenario === 'cart') {
  // As a module's top-level await would: only anonymous code above the awaiting functions. The rejection is
  // reported by the SDK's unhandledrejection handler.
  (async () => {
    await openCart(7, page.get('cached') === 'yes');
  })();
} else if (scenario) {
  runScenario(scenario);
}
