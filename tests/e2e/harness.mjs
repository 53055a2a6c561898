// What the console's browser tests share: a real `byok-kms serve`, headless Chromium, a Node
// KmsClient to check what the page did, a console page whose every request is recorded (through
// Playwright and a CDP session, WebSocket frames too), and the check that a secret is in none of
// them, in any encoding. Needs `make pkg` and `cargo build -p byok-kms` (make test does both).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch } from './chromium.mjs';
import { ROOT, startKms } from '../kms.mjs';

/** Starts byok-kms and Chromium; resolves to `{ kms, browser, api, lib, close() }`. */
export async function startHarness() {
  const kms = await startKms();
  const browser = await launch();
  const lib = await import(join(ROOT, 'pkg/node.js'));
  await lib.default();
  const api = new lib.KmsClient({ endpoint: kms.origin, accessKeyId: kms.accessKeyId, accessKeySecret: kms.accessKeySecret });
  return {
    kms, browser, api, lib,
    async close() {
      api.free();
      await browser.close();
      await kms.stop();
    },
  };
}

/**
 * A fresh browser context with service workers blocked, a fail-closed same-origin allowlist, and
 * every request, request body, WebSocket frame and beacon recorded in `seen.requests`; the page
 * is opened with the credentials in the fragment unless `fragment` is false.
 */
export async function openConsole({ kms, browser }, { fragment = true, viewport = { width: 1000, height: 900 } } = {}) {
  const context = await browser.newContext({ serviceWorkers: 'block', acceptDownloads: true, viewport });
  const seen = { requests: [], blocked: [], problems: [] };
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.origin === kms.origin) return route.continue();
    seen.blocked.push(url.href);
    return route.abort('blockedbyclient');
  });
  context.on('request', (request) => {
    // What goes on the wire: a URL's fragment is never part of an HTTP request.
    const url = request.url().split('#')[0];
    seen.requests.push({ via: 'playwright', type: request.resourceType(), method: request.method(), url,
      headers: request.headers(), body: request.postDataBuffer() });
  });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  cdp.on('Network.requestWillBeSent', async ({ requestId, request }) => {
    const entry = { via: 'cdp', method: request.method, url: request.url, headers: request.headers, body: request.postData ?? null };
    seen.requests.push(entry);
    if (request.hasPostData && !request.postData) {
      try {
        entry.body = (await cdp.send('Network.getRequestPostData', { requestId })).postData;
      } catch { /* body already gone: recorded by Playwright's own capture */ }
    }
  });
  cdp.on('Network.webSocketFrameSent', ({ response }) => seen.requests.push({ via: 'websocket', body: response.payloadData }));
  page.on('websocket', (ws) => ws.on('framesent', (frame) => seen.requests.push({ via: 'websocket', body: frame.payload })));
  page.on('console', (message) => message.type() === 'error' && seen.problems.push(message.text()));
  page.on('pageerror', (error) => seen.problems.push(String(error)));
  // `fragment`: true for the Alibaba access key, false for none, or the fragment itself.
  const hash = typeof fragment === 'string' ? fragment : `ak=${kms.accessKeyId}&sk=${encodeURIComponent(kms.accessKeySecret)}`;
  const url = fragment ? `${kms.origin}/#${hash}` : `${kms.origin}/`;
  const response = await page.goto(url);
  return { context, page, seen, response };
}

/** Every encoding of `secret` a careless page might send. */
export function encodings(secret) {
  const b = Buffer.from(secret);
  const b64 = b.toString('base64');
  const b64url = b.toString('base64url');
  return [
    ['hex', b.toString('hex')],
    ['HEX', b.toString('hex').toUpperCase()],
    ['base64', b64],
    ['base64 unpadded', b64.replace(/=+$/, '')],
    ['base64url', b64url],
    ['base64url padded', b64url + '='.repeat((4 - (b64url.length % 4)) % 4)],
    ['JSON array', JSON.stringify([...b])],
    ['JSON array, spaced', `[${[...b].join(', ')}]`],
  ];
}

/** Asserts that no recorded request carries `secret` (bytes) in any encoding, raw or URL-decoded. */
export function assertNeverSent(seen, secret, what) {
  assert.ok(seen.requests.length > 0, 'nothing was recorded');
  const raw = Buffer.from(secret);
  for (const request of seen.requests) {
    const url = request.url ?? '';
    let decoded = url;
    try { decoded = decodeURIComponent(url); } catch { /* leave as is */ }
    const headers = JSON.stringify(request.headers ?? {});
    const body = request.body == null ? Buffer.alloc(0) : Buffer.isBuffer(request.body) ? request.body : Buffer.from(String(request.body));
    const texts = [url, decoded, headers, body.toString('utf8'), body.toString('latin1')];
    for (const haystack of [body, Buffer.from(url, 'latin1'), Buffer.from(decoded, 'latin1'), Buffer.from(headers, 'latin1')]) {
      assert.equal(haystack.indexOf(raw), -1, `${what} sent as raw bytes in ${request.via} ${url}`);
    }
    for (const [name, form] of encodings(secret)) {
      for (const text of texts) {
        assert.ok(!text.includes(form), `${what} sent as ${name} in ${request.via} ${request.method ?? ''} ${url}`);
      }
    }
  }
}

/** The calls the page made, by their `x-acs-action` header (Playwright's record only). */
export function actionsSent(seen) {
  return seen.requests.filter((r) => r.via === 'playwright' && r.headers?.['x-acs-action']).map((r) => r.headers['x-acs-action']);
}
