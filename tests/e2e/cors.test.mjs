// byok-wrap's KmsClient from a page of another origin: it works when byok-kms allows that origin
// (--cors-origin), and the browser refuses the call (NetworkError) when it does not, which is the
// default. The same preflight lets the AWS SDK for JavaScript through (aws_sdk_browser.test.mjs
// runs it in a page). Needs `make pkg` and `cargo build -p byok-kms`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from '../../scripts/serve.mjs';
import { launch } from './chromium.mjs';
import { startKms } from '../kms.mjs';

// The app page may connect anywhere; the KMS decides, with CORS, whom it answers.
const APP_HEADERS = { 'content-security-policy': "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src *" };

// The preflight of @aws-sdk/client-kms 3.1178.0 in Chromium 156, as byok-kms receives it.
const AWS_SDK_PREFLIGHT = 'amz-sdk-invocation-id,amz-sdk-request,authorization,content-type,' +
  'x-amz-content-sha256,x-amz-date,x-amz-target,x-amz-user-agent';

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

test('the AWS SDK for JavaScript: its preflight is allowed for an allowed origin only, and its replies expose x-amzn-RequestId', async () => {
  const appOrigin = `http://127.0.0.1:${app.address().port}`;
  const preflight = (kms, origin) => fetch(`${kms.origin}/`, { method: 'OPTIONS', headers: {
    origin, 'access-control-request-method': 'POST', 'access-control-request-headers': AWS_SDK_PREFLIGHT } });
  const allowed = await preflight(open, appOrigin);
  assert.equal(allowed.status, 204);
  assert.equal(allowed.headers.get('access-control-allow-origin'), appOrigin);
  const names = allowed.headers.get('access-control-allow-headers').split(',').map((name) => name.trim());
  for (const name of AWS_SDK_PREFLIGHT.split(',')) assert.ok(names.includes(name), `${name} in ${names}`);
  assert.equal((await preflight(closed, appOrigin)).status, 403);
  assert.equal((await preflight(open, `http://127.0.0.1:${stranger.address().port}`)).status, 403);

  // An AWS call (here refused: it is not signed) answers with its request id, readable by the page.
  const reply = await fetch(`${open.origin}/`, { method: 'POST', body: '{}', headers: { origin: appOrigin,
    'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' } });
  assert.equal(reply.status, 403);
  assert.equal((await reply.json()).__type, 'MissingAuthenticationTokenException');
  assert.ok(reply.headers.get('x-amzn-requestid'));
  assert.equal(reply.headers.get('access-control-allow-origin'), appOrigin);
  assert.ok(reply.headers.get('access-control-expose-headers').split(',').map((name) => name.trim()).includes('x-amzn-requestid'));
});
