// Writes events from the real @sentry/node and @sentry/browser into ../grouping_cases/ (run by hand).
//
// To regenerate (Node.js 20+, and Chromium: Debian's /usr/bin/chromium, or CHROMIUM=/path/to/chrome):
//
//   cd tests/issues/js_sdk && npm ci && node capture.mjs
//   cd ../../.. && .venv/bin/python -m pytest tests/issues/test_grouping_cases.py
//
// npm may warn that esbuild's install script did not run: it is not needed (the binary comes in a package of its
// own). Each case file holds an event exactly as the SDK sent it, a description, and the key expected for it by
// each grouping version; this script rewrites the event and keeps the rest. A failing case then means that the
// SDK's events changed under an existing expectation: for the version in the making,
// `TRACEHOUND_ACCEPT_GROUPING=<version> pytest tests/issues/test_grouping_cases.py` writes the new keys; review
// the diff, since a changed key splits or merges issues for users of that SDK. A released version's expectations
// never change; a case new to this script has none yet: write them once with TRACEHOUND_ACCEPT_GROUPING=<version>
// for each version and check that no other case file changed. Regenerate when upgrading the SDKs (package.json
// pins them), never to make a test pass.
//
// How the events are made, so that they are what users of the SDKs send:
// - Node: node-app.mjs runs a small shop (shop/*.mjs) with @sentry/node in a child process; its transport writes
//   each envelope to standard output instead of sending it.
// - Browser: browser/shop.js with @sentry/browser is bundled by esbuild (not minified: without source maps a
//   minified bundle's function names change with every build) in two builds whose content differs (their version),
//   served from this machine under the names bundlers give (a cache-busting query string, webpack's hex content
//   hash, Rollup's and Vite's base64 hash) to Chromium driven by playwright-core; the page's transport keeps each
//   envelope in the page, read back from there. Errors are left uncaught, or clicked on, as on a real page.
// Only `modules` (the installed package list, where an SDK sends one) is dropped from events, as tests/issues/
// sdk_events.py does for sentry-sdk; nothing else is edited. The tests read only the written JSON: they need
// neither npm nor the network.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const CASES = join(HERE, '..', 'grouping_cases');

const DESCRIPTIONS = {
  node_out_of_stock_order:
    '@sentry/node: an error thrown in checkStock called from placeOrder; the same issue as node_out_of_stock_gift.',
  node_out_of_stock_gift:
    '@sentry/node: the error of node_out_of_stock_order, checkStock called from another line of placeOrder: line numbers never count.',
  node_reserve_method: '@sentry/node: a function called as a method: V8 names its frame "Object.reserve".',
  node_reserve_alias:
    '@sentry/node: the function of node_reserve_method through another property, "Object.reserve [as hold]": 2026-12 reads both as reserve.',
  node_reserve_plain: '@sentry/node: the function of node_reserve_method called plainly, "reserve".',
  node_sync_stock_awaited:
    '@sentry/node: an async function throwing after an await: the awaiting caller is in the async stack, the anonymous callback that started it is not.',
  node_sync_stock_immediate:
    '@sentry/node: node_sync_stock_awaited throwing before its first await: one more anonymous frame, which 2026-12 ignores.',
  node_validate_loop: '@sentry/node: a TypeError from validateSku called in a for loop.',
  node_validate_foreach:
    '@sentry/node: node_validate_loop through Array.prototype.forEach: an "Array.forEach (<anonymous>)" frame and an anonymous callback, which 2026-12 ignores.',
  node_price_query_v1:
    '@sentry/node: an ES module imported with a cache-busting ?v=1, which the SDK keeps in the module name ("shop:prices.mjs?v=1").',
  node_price_query_v2: '@sentry/node: node_price_query_v1 with ?v=2: 2026-12 drops the query string, one issue.',
  node_message_low_sku1:
    '@sentry/node: captureMessage, sent with a synthetic exception carrying the stack; the message decides, with placeholders.',
  node_message_low_sku2: '@sentry/node: node_message_low_sku1 for another SKU and count: the same issue.',
  node_message_late_a:
    '@sentry/node: another message from the function of node_message_low_sku1: 2026-12 makes it another issue.',
  node_message_late_b: '@sentry/node: the message of node_message_late_a again: the same issue.',
  node_coupon: '@sentry/node: an unrelated error from another function: another issue.',
  browser_checkout_query_v1:
    '@sentry/browser in Chromium: an uncaught TypeError in a bundle loaded as shop.js?v=1 (a cache-busting query string).',
  browser_checkout_query_v2:
    '@sentry/browser: browser_checkout_query_v1 after a deploy, shop.js?v=2 (another build): 2026-12 drops the query string, one issue.',
  browser_checkout_webpack_a:
    '@sentry/browser: the error of browser_checkout_query_v1 in a bundle named by its content hash, webpack style (shop.<20 hex>.js).',
  browser_checkout_webpack_b: '@sentry/browser: browser_checkout_webpack_a from the next build: another hash, one issue.',
  browser_checkout_rollup_a:
    '@sentry/browser: the error of browser_checkout_query_v1 in a bundle named by its content hash, Rollup and Vite style (shop-<8 base64url>.js).',
  browser_checkout_rollup_b: '@sentry/browser: browser_checkout_rollup_a from the next build: another hash, one issue.',
  browser_buy_button:
    '@sentry/browser: a click handler throwing, run on a button: Chrome names the frame "HTMLButtonElement.onBuy".',
  browser_buy_link:
    '@sentry/browser: the handler of browser_buy_button run on a link, "HTMLAnchorElement.onBuy": one issue in 2026-12.',
  browser_cart_awaited:
    '@sentry/browser: an async function rejecting after an await: Chrome names its awaiting callers "async openCart".',
  browser_cart_cached:
    '@sentry/browser: browser_cart_awaited rejecting before its first await: no "async " prefix; one issue in 2026-12.',
  browser_validate_loop: '@sentry/browser: a TypeError from validateSku called in a for loop.',
  browser_validate_foreach:
    '@sentry/browser: browser_validate_loop through Array.prototype.forEach: an "Array.forEach" frame at <anonymous> and an anonymous callback (both in_app, as the browser SDK marks every frame), which 2026-12 ignores.',
  browser_message_low_sku1:
    '@sentry/browser: captureMessage, sent with a synthetic exception carrying the stack; the message decides, with placeholders.',
  browser_message_low_sku2: '@sentry/browser: browser_message_low_sku1 for another SKU and count: the same issue.',
  browser_message_late_a:
    '@sentry/browser: another message from the function of browser_message_low_sku1: 2026-12 makes it another issue.',
  browser_message_late_b: '@sentry/browser: the message of browser_message_late_a from another page view: the same issue.',
  browser_coupon: '@sentry/browser: an unrelated error from another function: another issue.',
};

function eventsOf(envelope) {
  // An envelope is a header line, then per item a header line and a payload line (events are single-line JSON).
  const lines = envelope.split('\n');
  const events = [];
  for (let index = 1; index + 1 < lines.length; index += 2) {
    if (lines[index] && JSON.parse(lines[index]).type === 'event') {
      events.push(JSON.parse(lines[index + 1]));
    }
  }
  return events;
}

function sortedKeys(value) {
  if (Array.isArray(value)) {
    return value.map(sortedKeys);
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortedKeys(value[key])]),
    );
  }
  return value;
}

function writeCase(name, event) {
  // The format Python's json.dumps(case, indent=1, sort_keys=True) writes (tests rewrite expectations with it).
  const path = join(CASES, `${name}.json`);
  const existing = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
  delete event.modules;
  const text = JSON.stringify(
    sortedKeys({ description: DESCRIPTIONS[name], event, expected: existing.expected ?? {} }),
    null,
    1,
  ).replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  writeFileSync(path, `${text}\n`);
  console.error('wrote', path);
}

function one(name, events) {
  if (events.length !== 1) {
    throw new Error(`${name}: expected one event, the SDK sent ${events.length}`);
  }
  return events[0];
}

async function captureNode() {
  const child = spawn(process.execPath, ['node-app.mjs'], { cwd: HERE, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    output += chunk;
  });
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (code !== 0) {
    throw new Error(`node-app.mjs exited with ${code}`);
  }
  const byScenario = new Map();
  for (const line of output.split('\n').filter(Boolean)) {
    const { scenario, envelope } = JSON.parse(line);
    byScenario.set(scenario, [...(byScenario.get(scenario) ?? []), ...eventsOf(envelope)]);
  }
  for (const [name, events] of byScenario) {
    writeCase(name, one(name, events));
  }
}

async function bundle(version) {
  const result = await build({
    entryPoints: [join(HERE, 'browser', 'shop.js')],
    bundle: true,
    format: 'iife',
    write: false,
    banner: { js: `/* shop-web ${version} */` },
    define: { SHOP_VERSION: JSON.stringify(version) },
    logLevel: 'warning',
  });
  return result.outputFiles[0].text;
}

function contentHash(text, encoding, length) {
  return createHash('sha256').update(text).digest(encoding).slice(0, length);
}

const PAGE = (script) => `<!doctype html>
<html><head><meta charset="utf-8"><title>Shop</title></head>
<body>
<button id="buy" data-sku="SKU-1">Buy</button> <a id="buy-link" href="#" data-sku="SKU-1">Buy</a>
<script src="${script}"></script>
</body></html>
`;

async function captureBrowser() {
  const [first, next] = [await bundle('2.3.0'), await bundle('2.3.1')];
  const scripts = {
    query_v1: ['/static/js/shop.js?v=1', first],
    query_v2: ['/static/js/shop.js?v=2', next],
    webpack_a: [`/static/js/shop.${contentHash(first, 'hex', 20)}.js`, first],
    webpack_b: [`/static/js/shop.${contentHash(next, 'hex', 20)}.js`, next],
    rollup_a: [`/assets/shop-${contentHash(first, 'base64url', 8)}.js`, first],
    rollup_b: [`/assets/shop-${contentHash(next, 'base64url', 8)}.js`, next],
  };
  const files = new Map(Object.values(scripts));
  const server = createServer((request, response) => {
    const url = new URL(request.url, 'http://localhost');
    if (url.pathname === '/shop') {
      const script = scripts[url.searchParams.get('script')][0];
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE(script));
    } else if (files.has(request.url)) {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(files.get(request.url));
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium' });
  // [case name, script, the page's query parameters and the element to click, if any]
  const runs = [
    ...['query_v1', 'query_v2', 'webpack_a', 'webpack_b', 'rollup_a', 'rollup_b'].map((script) => [
      `browser_checkout_${script}`,
      script,
      { scenario: 'checkout' },
    ]),
    ['browser_buy_button', 'query_v1', { click: '#buy' }],
    ['browser_buy_link', 'query_v1', { click: '#buy-link' }],
    ['browser_cart_awaited', 'query_v1', { scenario: 'cart', cached: 'no' }],
    ['browser_cart_cached', 'query_v1', { scenario: 'cart', cached: 'yes' }],
    ['browser_validate_loop', 'query_v1', { scenario: 'validate_loop' }],
    ['browser_validate_foreach', 'query_v1', { scenario: 'validate_foreach' }],
    ['browser_message_low_sku1', 'query_v1', { scenario: 'message_low_sku1' }],
    ['browser_message_low_sku2', 'query_v1', { scenario: 'message_low_sku2' }],
    ['browser_message_late_a', 'query_v1', { scenario: 'message_late' }],
    ['browser_message_late_b', 'query_v1', { scenario: 'message_late' }],
    ['browser_coupon', 'query_v1', { scenario: 'coupon' }],
  ];
  try {
    for (const [name, script, action] of runs) {
      const page = await browser.newPage();
      const { click, ...parameters } = action;
      const query = new URLSearchParams({ script, ...parameters });
      await page.goto(`${origin}/shop?${query}`);
      if (click) {
        await page.click(click);
      }
      await page.waitForFunction(() => window.sentEnvelopes.some((body) => body.includes('"type":"event"')));
      const envelopes = await page.evaluate(() => window.sentEnvelopes);
      await page.close();
      writeCase(name, one(name, envelopes.flatMap(eventsOf)));
    }
  } finally {
    await browser.close();
    server.close();
  }
}

await captureNode();
await captureBrowser();
