// The packaged byok-wrap (pkg/, as npm ships it) in real headless Chromium: imported by a page
// under the strict CSP, wrapping with WebCrypto decrypting; and the demo page clicked through.
// Needs `make pkg`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from '../../scripts/serve.mjs';
import { launch } from './chromium.mjs';

let server;
let browser;
let origin;

before(async () => {
  server = await serve();
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function page() {
  const p = await browser.newPage();
  const problems = [];
  p.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  p.on('pageerror', (e) => problems.push(String(e)));
  return { p, problems };
}

test('the package wraps in Chromium and WebCrypto decrypts it', async () => {
  const { p, problems } = await page();
  await p.goto(`${origin}/`);
  const result = await p.evaluate(async () => {
    const m = await import('/pkg/byok_wrap.js');
    await m.default();
    const out = [];
    for (const [hash, algorithm] of [['SHA-256', 'RSAES_OAEP_SHA_256'], ['SHA-1', 'RSAES_OAEP_SHA_1']]) {
      const pair = await crypto.subtle.generateKey(
        { name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash },
        false, ['encrypt', 'decrypt']);
      const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
      const material = m.generateKeyMaterial('Aliyun_AES_256');
      const wrapped = m.wrapKeyMaterial({ material, publicKey: btoa(String.fromCharCode(...spki)), algorithm });
      const bytes = Uint8Array.from(atob(wrapped), (c) => c.charCodeAt(0));
      const back = new Uint8Array(await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, pair.privateKey, bytes));
      out.push(back.length === 32 && back.every((b, i) => b === material[i]));
    }
    let error;
    try { m.wrapKeyMaterial({ material: new Uint8Array(32), publicKey: 'garbage!' }); } catch (e) { error = e; }
    return { out, name: error?.name, code: error?.code };
  });
  assert.deepEqual(result, { out: [true, true], name: 'ByokError', code: 'InvalidPublicKey' });
  assert.deepEqual(problems, []);
});

test('the demo page: demo key, generate, wrap, verified by WebCrypto', async () => {
  const { p, problems } = await page();
  const response = await p.goto(`${origin}/`);
  const headers = response.headers();
  assert.match(headers['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval'/);
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['referrer-policy'], 'no-referrer');
  await p.getByText('Ready.').waitFor();
  await p.getByRole('button', { name: 'Use a demo key made by this browser' }).click();
  await p.getByText('Demo key ready').waitFor();
  await p.getByRole('button', { name: 'Generate material' }).click();
  await p.getByText('Generated 32 bytes of Aliyun_AES_256').waitFor();
  assert.match(await p.locator('#kcv').textContent(), /^[0-9A-F]{6}$/);
  await p.getByRole('button', { name: 'Wrap' }).click();
  await p.getByText('Verified: the demo private key decrypts it to the same material.').waitFor();
  assert.match(await p.locator('#wrapped').inputValue(), /^[A-Za-z0-9+/]{342}==$/);

  // A refusal reads well: legacy padding is opted into by the page, a wrong key is not.
  await p.locator('#public-key').fill('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----');
  await p.getByRole('button', { name: 'Wrap' }).click();
  await p.getByText('InvalidPublicKey: invalid wrapping public key: found a PEM X.509 certificate').waitFor();
  assert.deepEqual(problems, []);
});
