// byok-wrap's KmsClient from a page of another origin: it works when byok-kms allows that origin
// (--cors-origin), and the browser refuses the call (NetworkError) when it does not, which is the
// default. Needs `make pkg` and `cargo build -p byok-kms`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from '../../scripts/serve.mjs';
import { launch } from './chromium.mjs';
import { startKms } from '../kms.mjs';

// The app page may connect anywhere; the KMS decides, with CORS, whom it answers.
const APP_HEADERS = { 'content-security-policy': "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src *" };

let app;
let stranger;
let open;
let closed;
let browser;

before(async () => {
  app = await serve({ mounts: { '/': 'benches/browser', '/pkg/': 'pkg' }, headers: APP_HEADERS });
  stranger = await serve({ mounts: { '/': 'benches/browser', '/pkg/': 'pkg' }, headers: APP_HEADERS });
  const appOrigin = `http://127.0.0.1:${app.address().port}`;
  open = await startKms(['--cors-origin', appOrigin]);
  closed = await startKms();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await open?.stop();
  await closed?.stop();
  app?.close();
  stranger?.close();
});

/** In a page served by `server`, imports fresh material into a new key on `kms`. */
async function importFrom(server, kms) {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const result = await page.evaluate(async ({ endpoint, accessKeyId, accessKeySecret }) => {
    const m = await import('/pkg/byok_wrap.js');
    await m.default();
    try {
      const client = new m.KmsClient({ endpoint, accessKeyId, accessKeySecret });
      const key = await client.createKey();
      const metadata = await m.importKeyMaterial(client, { keyId: key.KeyId, material: m.generateKeyMaterial() });
      return { state: metadata.KeyState };
    } catch (e) {
      return { name: e.name, code: e.code, hint: /--cors-origin/.test(e.message) };
    }
  }, { endpoint: kms.origin, accessKeyId: kms.accessKeyId, accessKeySecret: kms.accessKeySecret });
  await page.close();
  return result;
}

test('a page of an allowed origin imports through CORS', async () => {
  assert.deepEqual(await importFrom(app, open), { state: 'Enabled' });
});

test('without --cors-origin, or from another origin, the browser refuses the call, and the error says why it may be', async () => {
  assert.deepEqual(await importFrom(app, closed), { name: 'ByokError', code: 'NetworkError', hint: true });
  assert.deepEqual(await importFrom(stranger, open), { name: 'ByokError', code: 'NetworkError', hint: true });
});
