// The Node side of the fixtures: a small shop (shop/*.mjs) with the real @sentry/node, whose transport writes each
// envelope it would send to standard output (one JSON line: {"scenario", "envelope"}) instead of sending it.
// Run by capture.mjs; it must be started from this folder's parent path as `node node-app.mjs`, so that the SDK
// names modules from here ("shop:stock") as it would in an application.
import * as Sentry from '@sentry/node';

let scenario = '';

Sentry.init({
  dsn: 'http://public@127.0.0.1:9/1',
  release: 'shop@2.3.0',
  environment: 'production',
  serverName: 'web-1',
  transport: (options) =>
    Sentry.createTransport(options, (request) => {
      const envelope = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body);
      process.stdout.write(JSON.stringify({ scenario, envelope }) + '\n');
      return Promise.resolve({ statusCode: 200 });
    }),
});

const { holdItems, nightlySync, placeOrder, validateAll } = await import('./shop/orders.mjs');
const { applyCoupon, reportStock } = await import('./shop/stock.mjs');

async function capture(name, run) {
  scenario = name;
  try {
    await run();
  } catch (error) {
    Sentry.captureException(error);
  }
  await Sentry.flush(2000);
}

// Each scenario sends one event. Identical events in a row would be dropped by the SDK's dedupe integration: the
// order below never repeats one back to back.
await capture('node_out_of_stock_order', () => placeOrder({ sku: 'SKU-1', available: 0 }));
await capture('node_out_of_stock_gift', () =>
  placeOrder({ sku: 'SKU-1', available: 3, giftSku: 'SKU-9', giftAvailable: 0 }),
);
await capture('node_reserve_method', () => holdItems('SKU-2', 'method'));
await capture('node_reserve_alias', () => holdItems('SKU-2', 'alias'));
await capture('node_reserve_plain', () => holdItems('SKU-2', 'plain'));
await capture('node_sync_stock_awaited', () => nightlySync('SKU-3', true));
await capture('node_sync_stock_immediate', () => nightlySync('SKU-3', false));
await capture('node_validate_loop', () => validateAll(['SKU-4', 'sku 4'], 'loop'));
await capture('node_validate_foreach', () => validateAll(['SKU-4', 'sku 4'], 'forEach'));
for (const version of [1, 2]) {
  // A cache-busting query string in an ES module's URL, as hot-reloading servers add.
  const { priceOf } = await import(`./shop/prices.mjs?v=${version}`);
  await capture(`node_price_query_v${version}`, () => priceOf('SKU-5'));
}
await capture('node_message_low_sku1', () => reportStock('SKU-1', 2));
await capture('node_message_late_a', () => reportStock('SKU-1', 40));
await capture('node_message_low_sku2', () => reportStock('SKU-2', 3));
await capture('node_message_late_b', () => reportStock('SKU-2', 50));
await capture('node_coupon', () => applyCoupon('WINTER'));
await Sentry.close(2000);
