// The packaged byok-wrap (pkg/, as npm ships it) in real headless Chromium: imported by a page
// under the strict CSP, wrapping in every format, sync and async; the browser's WebCrypto unwraps
// the RSA part and @noble/ciphers (an independent JavaScript AES-KWP and AES-ECB) the AES part.
// Needs `make pkg`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from '../../scripts/serve.mjs';
import { launch } from './chromium.mjs';

let server;
let browser;
let origin;

before(async () => {
  server = await serve({ mounts: { '/': 'www', '/pkg/': 'pkg', '/noble/': 'node_modules/@noble/ciphers' } });
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
  await p.goto(`${origin}/`);
  return { p, problems };
}

test('every format wraps in Chromium, and WebCrypto with @noble/ciphers unwraps it', async () => {
  const { p, problems } = await page();
  const result = await p.evaluate(async () => {
    const m = await import('/pkg/byok_wrap.js');
    const { aeskwp, ecb } = await import('/noble/aes.js');
    await m.default();
    const pairs = {};
    const pairFor = async (hash, bits) => {
      pairs[`${hash}/${bits}`] ??= await (async () => {
        const pair = await crypto.subtle.generateKey(
          { name: 'RSA-OAEP', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash }, false, ['encrypt', 'decrypt']);
        const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
        return { privateKey: pair.privateKey, publicKey: btoa(String.fromCharCode(...spki)) };
      })();
      return pairs[`${hash}/${bits}`];
    };
    const ecKey = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const ecPkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', ecKey.privateKey));
    const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
    const out = [];
    for (const rule of m.importRules().algorithms) {
      if (rule.legacy) continue; // WebCrypto has no PKCS#1 v1.5 encryption.
      for (const spec of rule.wrappingKeySpecs) {
        const bits = Number(spec.slice(4));
        const pair = await pairFor(rule.hash, bits);
        const inputs = [];
        if (rule.symmetric) inputs.push({ material: m.generateKeyMaterial('HMAC_224') });
        if (rule.privateKeys) inputs.push({ privateKey: ecPkcs8 });
        for (const input of inputs) {
          const expected = input.material ?? ecPkcs8;
          for (const wrap of [(o) => m.wrapForImport(o), (o) => m.wrapForImportAsync(o)]) {
            const wrapped = Uint8Array.from(atob(await wrap({ ...input, publicKey: pair.publicKey, algorithm: rule.name })), (c) => c.charCodeAt(0));
            const decrypt = (bytes) => crypto.subtle.decrypt({ name: 'RSA-OAEP' }, pair.privateKey, bytes).then((b) => new Uint8Array(b));
            let back;
            if (rule.scheme === 'oaep') {
              back = await decrypt(wrapped);
            } else {
              const aesKey = await decrypt(wrapped.subarray(0, bits / 8));
              const rest = wrapped.subarray(bits / 8);
              back = rule.scheme === 'oaep+kwp' ? aeskwp(aesKey).decrypt(rest) : ecb(aesKey).decrypt(rest);
            }
            out.push([`${rule.name} RSA-${bits} ${input.material ? 'material' : 'EC key'}`, same(back, expected)]);
          }
        }
      }
    }
    let error;
    try { m.wrapForImport({ material: new Uint8Array(32), publicKey: 'garbage!', algorithm: 'RSAES_OAEP_SHA_256' }); } catch (e) { error = e; }
    return { out, instance: error instanceof m.ByokError, name: error?.name, code: error?.code };
  });
  const failed = result.out.filter(([, ok]) => !ok).map(([what]) => what);
  assert.deepEqual(failed, []);
  assert.ok(result.out.length >= 60, `${result.out.length} wraps checked`);
  assert.deepEqual({ instance: result.instance, name: result.name, code: result.code }, { instance: true, name: 'ByokError', code: 'InvalidPublicKey' });
  assert.deepEqual(problems, []);
});
