// The AWS SDK for JavaScript v3 (@aws-sdk/client-kms), unchanged, bundled for the browser by
// esbuild at test time (into build/, not committed), in a headless Chromium page of another
// origin than byok-kms: the import flow with byok-wrap's wrapping in the page (WebCrypto, and
// wasm), through CORS (--cors-origin). The SDK's preflight must be allowed and its reply headers
// (x-amzn-RequestId) exposed, or it fails. Needs `make pkg`, `cargo build -p byok-kms`, npm ci.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { serve } from '../../scripts/serve.mjs';
import { launch } from './chromium.mjs';
import { ROOT, startKms } from '../kms.mjs';

const PAGE_DIR = 'build/aws-sdk-browser';
// The app page may connect anywhere; the KMS decides, with CORS, whom it answers.
const APP_HEADERS = { 'content-security-policy': "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src *" };
// What a page may send without a preflight (the Fetch standard's CORS-safelisted request headers,
// content-type only with a form or text value, which the SDK's is not).
const SAFELISTED = new Set(['accept', 'accept-language', 'content-language']);

let app;
let kms;
let browser;

before(async () => {
  const dir = join(ROOT, PAGE_DIR);
  mkdirSync(dir, { recursive: true });
  await build({
    stdin: { contents: "export * from '@aws-sdk/client-kms';", resolveDir: ROOT, sourcefile: 'aws-sdk.mjs' },
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outfile: join(dir, 'aws-sdk.js'), logLevel: 'warning',
  });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<link rel="icon" href="data:,"><title>AWS SDK and byok-wrap</title></head><body></body></html>\n');
  app = await serve({ mounts: { '/': PAGE_DIR, '/pkg/': 'pkg' }, headers: APP_HEADERS });
  kms = await startKms(['--cors-origin', `http://127.0.0.1:${app.address().port}`]);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await kms?.stop();
  app?.close();
});

/** In a fresh page of the app's origin: the import flow with the SDK, wrapping by byok-wrap. */
async function importInPage({ algorithm, wrappingKeySpec, webCrypto }) {
  const page = await browser.newPage();
  const sent = [];
  page.on('request', (request) => {
    if (request.url().startsWith(kms.origin)) sent.push(request.headers());
  });
  const problems = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  await page.goto(`http://127.0.0.1:${app.address().port}/`);
  const result = await page.evaluate(async ({ endpoint, accessKeyId, secretAccessKey, algorithm, wrappingKeySpec, webCrypto }) => {
    const aws = await import('/aws-sdk.js');
    const byok = await import('/pkg/byok_wrap.js');
    await byok.default();
    const kms = new aws.KMSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
    const send = (name, input) => kms.send(new aws[`${name}Command`](input));
    const state = async (KeyId) => (await send('DescribeKey', { KeyId })).KeyMetadata.KeyState;
    const bytes = (base64) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const importInput = async (KeyId, material, extra) => {
      const params = await send('GetParametersForImport', { KeyId, WrappingAlgorithm: algorithm, WrappingKeySpec: wrappingKeySpec });
      const wrapped = await byok.wrapForImportAsync({ publicKey: params.PublicKey, algorithm, material, keySpec: 'SYMMETRIC_DEFAULT', webCrypto });
      return { KeyId, ImportToken: params.ImportToken, EncryptedKeyMaterial: bytes(wrapped), ...extra };
    };
    const steps = {};
    const key = (await send('CreateKey', { Origin: 'EXTERNAL', Description: 'from a page' })).KeyMetadata;
    steps.created = key.KeyState;
    const material = byok.generateKeyMaterial('SYMMETRIC_DEFAULT');
    const imported = await send('ImportKeyMaterial', await importInput(key.KeyId, material, { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }));
    steps.imported = await state(key.KeyId);
    const plaintext = new TextEncoder().encode('hello from a page');
    const { CiphertextBlob } = await send('Encrypt', { KeyId: key.KeyId, Plaintext: plaintext });
    steps.decrypted = new TextDecoder().decode((await send('Decrypt', { CiphertextBlob })).Plaintext);
    await send('DeleteImportedKeyMaterial', { KeyId: key.KeyId });
    steps.deleted = await state(key.KeyId);
    try {
      await send('ImportKeyMaterial', await importInput(key.KeyId, byok.generateKeyMaterial('SYMMETRIC_DEFAULT'), { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }));
      steps.refused = 'imported other material';
    } catch (error) {
      steps.refused = { name: error.name, isClass: error instanceof aws.IncorrectKeyMaterialException,
        status: error.$metadata?.httpStatusCode, requestId: Boolean(error.$metadata?.requestId) };
    }
    steps.afterRefusal = await state(key.KeyId);
    const again = await send('ImportKeyMaterial', await importInput(key.KeyId, material, { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }));
    steps.sameMaterialId = again.KeyMaterialId === imported.KeyMaterialId;
    steps.again = new TextDecoder().decode((await send('Decrypt', { CiphertextBlob })).Plaintext);
    steps.requestId = Boolean(imported.$metadata.requestId);
    kms.destroy();
    return steps;
  }, { endpoint: kms.origin, accessKeyId: kms.awsAccessKeyId, secretAccessKey: kms.awsSecretAccessKey, algorithm, wrappingKeySpec, webCrypto });
  await page.close();
  assert.deepEqual(problems, []);
  return { result, sent };
}

for (const options of [
  { algorithm: 'RSA_AES_KEY_WRAP_SHA_256', wrappingKeySpec: 'RSA_2048', webCrypto: true },
  { algorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_4096', webCrypto: false },
]) {
  test(`a page of another origin imports with the AWS SDK: ${options.algorithm}/${options.wrappingKeySpec}, ${options.webCrypto ? 'WebCrypto' : 'wasm'}`, async () => {
    const { result, sent } = await importInPage(options);
    assert.deepEqual(result, {
      created: 'PendingImport',
      imported: 'Enabled',
      decrypted: 'hello from a page',
      deleted: 'PendingImport',
      refused: { name: 'IncorrectKeyMaterialException', isClass: true, status: 400, requestId: true },
      afterRefusal: 'PendingImport',
      sameMaterialId: true,
      again: 'hello from a page',
      requestId: true,
    });
    // What the SDK sent, every header of which the preflight had to allow.
    const names = new Set(sent.flatMap((headers) => Object.keys(headers)));
    for (const name of ['authorization', 'content-type', 'x-amz-target', 'x-amz-date', 'x-amz-user-agent', 'amz-sdk-invocation-id', 'amz-sdk-request']) {
      assert.ok(names.has(name), `the SDK sent ${name}: ${[...names]}`);
    }
    const preflight = await fetch(`${kms.origin}/`, { method: 'OPTIONS', headers: {
      origin: `http://127.0.0.1:${app.address().port}`, 'access-control-request-method': 'POST',
      'access-control-request-headers': [...names].join(',') } });
    assert.equal(preflight.status, 204);
    const allowed = preflight.headers.get('access-control-allow-headers').split(',').map((h) => h.trim());
    const browserSets = new Set(['referer', 'user-agent', 'origin', 'host', 'content-length', 'connection', 'accept-encoding']);
    for (const name of names) {
      if (SAFELISTED.has(name) || browserSets.has(name) || name.startsWith('sec-')) continue;
      assert.ok(allowed.includes(name), `${name} allowed: ${allowed}`);
    }
  });
}
