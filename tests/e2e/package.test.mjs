// The packaged byok-wrap (pkg/, as npm ships it) in real headless Chromium: imported by a page
// under the strict CSP, wrapping with WebCrypto decrypting. Needs `make pkg`.
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
