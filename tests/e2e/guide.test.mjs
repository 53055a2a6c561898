// The cloud guide as a test: Alibaba Cloud's "Import key material into a symmetric key", steps 2
// to 4, in headless Chromium against a real `byok-kms serve`. The console creates an EXTERNAL key
// and downloads the wrapping public key (PEM or DER) and the import token; the guide's own openssl
// lines of step 3 wrap fresh material with the downloaded public key; the console uploads the
// result and the token file. The key must then be Enabled and hold exactly that material: the
// KMS's Encrypt decrypts with it locally, and Decrypt works. Bad uploads are refused with their
// code, explained in words, and leave the key PendingImport.
//
// Needs `make pkg`, `cargo build -p byok-kms` (make test does both) and openssl.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createDecipheriv } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch } from './chromium.mjs';
import { ROOT, parseBlob, startKms } from '../kms.mjs';

const ARTEFACTS = join(ROOT, 'build/e2e');

// Step 3 of the guide, exactly as printed (../shared/reference/000_3a6ae43d94851878.txt): the
// public key file of its example is PublicKey.bin in DER; the guide says to put in the name of the
// downloaded file, and -keyform PEM for a PEM file. Nothing else is changed.
const GUIDE_RAND = 'openssl rand -out KeyMaterial.bin 32';
const GUIDE_PKEYUTL = `openssl pkeyutl -encrypt \\
  -in KeyMaterial.bin \\
  -inkey PublicKey.bin \\
  -keyform DER \\
  -pubin \\
  -out EncryptedKeyMaterial.bin \\
  -pkeyopt rsa_padding_mode:oaep \\
  -pkeyopt rsa_oaep_md:sha256 \\
  -pkeyopt rsa_mgf1_md:sha256`;
const GUIDE_ENC = 'openssl enc -e -base64 -A -in EncryptedKeyMaterial.bin -out EncryptedKeyMaterial_base64.txt';

/** The guide's step 3 for a downloaded public key file, as the guide says to adapt it. */
function guideStep3(publicKeyFile) {
  let pkeyutl = GUIDE_PKEYUTL.replace('-inkey PublicKey.bin', `-inkey ${publicKeyFile}`);
  if (publicKeyFile.endsWith('.pem')) pkeyutl = pkeyutl.replace('-keyform DER', '-keyform PEM');
  return [GUIDE_RAND, pkeyutl, GUIDE_ENC];
}

/** Runs the guide's command lines in `dir`, as a shell would (the backslash continuations). */
function runGuide(lines, dir) {
  for (const line of lines) execFileSync('/bin/sh', ['-c', line], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}

let kms;
let browser;
let api; // a KmsClient in Node, to check what the page did
let work;

before(async () => {
  kms = await startKms();
  browser = await launch();
  const lib = await import(join(ROOT, 'pkg/node.js'));
  await lib.default();
  api = new lib.KmsClient({ endpoint: kms.origin, accessKeyId: kms.accessKeyId, accessKeySecret: kms.accessKeySecret });
  work = mkdtempSync(join(tmpdir(), 'byok-guide-'));
  mkdirSync(ARTEFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await kms?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The console, connected, in a fresh context that may reach byok-kms only; requests recorded. */
async function openConsole() {
  const context = await browser.newContext({ serviceWorkers: 'block', acceptDownloads: true, viewport: { width: 1000, height: 900 } });
  const seen = { requests: [], problems: [] };
  await context.route('**/*', (route) => (new URL(route.request().url()).origin === kms.origin ? route.continue() : route.abort('blockedbyclient')));
  context.on('request', (request) => seen.requests.push({ url: request.url(), headers: request.headers(), body: request.postDataBuffer() }));
  const page = await context.newPage();
  page.on('console', (message) => message.type() === 'error' && seen.problems.push(message.text()));
  page.on('pageerror', (error) => seen.problems.push(String(error)));
  await page.goto(`${kms.origin}/#ak=${kms.accessKeyId}&sk=${encodeURIComponent(kms.accessKeySecret)}`);
  await page.getByText('Connected. Choose a key').waitFor();
  return { context, page, seen };
}

async function createKeyInPage(page) {
  await page.getByLabel('Key spec').selectOption('Aliyun_AES_256');
  await page.getByLabel('I understand the implications of using external key materials').check();
  await page.getByRole('button', { name: 'Create EXTERNAL key' }).click();
  const created = await page.getByText(/^Created key [0-9a-f-]{36}/).textContent();
  const keyId = created.match(/[0-9a-f-]{36}/)[0];
  await page.getByLabel('Elsewhere: download the public key').check();
  return keyId;
}

/**
 * The guide's step 2 in the console: GetParametersForImport, then the public key in `format`
 * (`PEM` or `DER`) and the token, saved into `dir` under the names the console gives them.
 */
async function download(page, keyId, format, dir) {
  mkdirSync(dir, { recursive: true });
  await page.getByRole('button', { name: 'Get a public key and token' }).click();
  await page.getByText(`Got a public key and an import token for ${keyId}`).waitFor();
  await page.getByLabel(`${format} (publickey_`).check();
  const save = async (link) => {
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: link }).click()]);
    const name = file.suggestedFilename();
    await file.saveAs(join(dir, name));
    return name;
  };
  const publicKey = await save('Download the public key');
  const token = await save('Download the import token');
  return { publicKey, token };
}

/** The guide's step 4 in the console: the wrapped file and the token file, then the import. */
async function upload(page, wrappedPath, tokenPath) {
  await page.getByLabel('Wrapped key material').setInputFiles(wrappedPath);
  await page.getByLabel('Import token: token_').setInputFiles(tokenPath);
  await page.locator('#token-info').getByText('Read the import token').waitFor();
}

/** AES-GCM decryption of a byok-kms ciphertext blob with the material, in Node. */
function decryptLocally(material, blobBase64, context) {
  const blob = parseBlob(blobBase64);
  const aad = Buffer.concat([Buffer.from(`byok-kms ciphertext v1\0${blob.keyId}\0${blob.versionId}\0`), Buffer.from(JSON.stringify(context))]);
  const decipher = createDecipheriv(`aes-${material.length * 8}-gcm`, material, blob.nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(blob.tag);
  return Buffer.concat([decipher.update(blob.ciphertext), decipher.final()]);
}

/** Proves the key is Enabled and holds exactly `material`: Encrypt opens locally, Decrypt works. */
async function assertImported(keyId, material) {
  assert.equal((await api.describeKey(keyId)).KeyState, 'Enabled');
  const plaintext = Buffer.from(`the guide, for ${keyId}`);
  const context = { test: 'guide' };
  const encrypted = await api.call('Encrypt', { KeyId: keyId, Plaintext: plaintext.toString('base64'), EncryptionContext: JSON.stringify(context) });
  assert.deepEqual(decryptLocally(material, encrypted.CiphertextBlob, context), plaintext);
  const decrypted = await api.call('Decrypt', { CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: JSON.stringify(context) });
  assert.equal(decrypted.Plaintext, plaintext.toString('base64'));
}

/** The material went nowhere: no request carries it raw, in hex or in base64. */
function assertNeverSent(seen, material) {
  const forms = [material.toString('hex'), material.toString('hex').toUpperCase(), material.toString('base64'), material.toString('base64url')];
  for (const request of seen.requests) {
    const body = request.body ?? Buffer.alloc(0);
    assert.equal(body.indexOf(material), -1, `the material sent raw to ${request.url}`);
    const text = `${request.url} ${decodeURIComponent(request.url)} ${JSON.stringify(request.headers)} ${body.toString('latin1')}`;
    for (const form of forms) assert.ok(!text.includes(form), `the material sent to ${request.url}`);
  }
}

for (const format of ['PEM', 'DER']) {
  test(`the guide, steps 2 to 4, with the ${format} public key: the key is Enabled and encrypts`, async () => {
    const { context, page, seen } = await openConsole();
    const keyId = await createKeyInPage(page);
    const dir = join(work, format);
    const files = await download(page, keyId, format, dir);
    const stamp = '\\d{8}T\\d{9}Z';
    assert.match(files.publicKey, new RegExp(`^publickey_${keyId}_${stamp}\\.${format === 'PEM' ? 'pem' : 'bin'}$`));
    assert.match(files.token, new RegExp(`^token_${keyId}_${stamp}\\.txt$`));
    const publicKey = readFileSync(join(dir, files.publicKey));
    if (format === 'PEM') assert.match(publicKey.toString(), /^-----BEGIN PUBLIC KEY-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END PUBLIC KEY-----\n$/);
    else assert.equal(publicKey[0], 0x30, 'DER starts with a SEQUENCE');

    // The page shows the guide's step 3 for this download; the test runs the guide's own lines.
    const lines = guideStep3(files.publicKey);
    assert.equal(await page.locator('#openssl-commands').textContent(), lines.join('\n'));
    runGuide(lines, dir);
    const material = readFileSync(join(dir, 'KeyMaterial.bin'));
    assert.equal(material.length, 32);
    const wrappedText = readFileSync(join(dir, 'EncryptedKeyMaterial_base64.txt'), 'latin1');
    assert.match(wrappedText, /^[A-Za-z0-9+/]{342}==$/, 'one line of base64 of 256 bytes');

    await upload(page, join(dir, 'EncryptedKeyMaterial_base64.txt'), join(dir, files.token));
    await page.getByText('Detected base64 text in EncryptedKeyMaterial_base64.txt: 344 characters, 256 bytes of wrapped material.').waitFor();
    if (format === 'PEM') {
      // The README's picture of this path: the import section, ready to upload (the page as tall
      // as the viewport, so that the sticky status bar does not scroll over it).
      await page.setViewportSize({ width: 1000, height: await page.evaluate(() => document.documentElement.scrollHeight) });
      await page.locator('#import').screenshot({ path: join(ARTEFACTS, 'console-offline.png') });
      await page.setViewportSize({ width: 1000, height: 900 });
    }
    await page.getByRole('button', { name: 'Upload and import' }).click();
    await page.getByText(`Imported. Key ${keyId} is Enabled. The material never reached this page`).waitFor();
    await page.locator('#progress li.done', { hasText: 'ImportKeyMaterial' }).waitFor();
    assert.equal(await page.locator('dd[data-field="KeyState"]').textContent(), 'Enabled');
    await assertImported(keyId, material);

    if (format === 'DER') {
      // The raw output of openssl pkeyutl works too, and a token serves more than one import
      // within its 24 hours: delete the material and import the same again from the .bin file,
      // this time with an expiry date.
      await page.getByRole('button', { name: 'Delete key material' }).click();
      await page.getByRole('button', { name: 'Really delete the material' }).click();
      await page.getByText(`Deleted the material of ${keyId}; it is PendingImport`).waitFor();
      await upload(page, join(dir, 'EncryptedKeyMaterial.bin'), join(dir, files.token));
      await page.getByText('Detected raw bytes in EncryptedKeyMaterial.bin: 256 bytes of wrapped material, sent base64-encoded.').waitFor();
      await page.getByLabel('Expires at').check();
      const tomorrow = new Date(Date.now() + 86_400_000);
      await page.getByLabel('Expiry date and time').fill(new Date(tomorrow.getTime() - tomorrow.getTimezoneOffset() * 60_000).toISOString().slice(0, 16));
      await page.getByRole('button', { name: 'Upload and import' }).click();
      await page.getByText(`Imported. Key ${keyId} is Enabled`).waitFor();
      const expiry = (await api.describeKey(keyId)).MaterialExpireTime;
      assert.equal(Date.parse(expiry), Math.floor(tomorrow.getTime() / 60_000) * 60_000, `expiry ${expiry}`);
      await assertImported(keyId, material);
    }
    assertNeverSent(seen, material);
    assert.ok(seen.requests.some((r) => r.headers['x-acs-action'] === 'ImportKeyMaterial'), 'the import was seen');
    assert.deepEqual(seen.problems, []);
    await context.close();
  });
}

test('bad uploads: a token from another download or another key, cut-short material; explained, the key stays PendingImport', async () => {
  const { context, page, seen } = await openConsole();
  const other = await createKeyInPage(page);
  const otherFiles = await download(page, other, 'PEM', join(work, 'other'));
  const keyId = await createKeyInPage(page);
  const dir = join(work, 'bad');
  const first = await download(page, keyId, 'DER', dir);
  runGuide(guideStep3(first.publicKey), dir);
  const wrapped = join(dir, 'EncryptedKeyMaterial_base64.txt');
  const pending = async () => assert.equal((await api.describeKey(keyId)).KeyState, 'PendingImport');

  // A second download for the same key: its token names another wrapping key, under which the
  // material does not unwrap.
  const second = await download(page, keyId, 'DER', join(work, 'bad2'));
  assert.notEqual(second.token, first.token);
  await upload(page, wrapped, join(work, 'bad2', second.token));
  await page.getByRole('button', { name: 'Upload and import' }).click();
  await page.getByText('The KMS could not import the uploaded material. It must be wrapped with the public key of the same download as the token file').waitFor();
  await page.getByText('A token from another download, a file wrapped with another public key or algorithm').waitFor();
  await page.getByText(/Code InvalidKeyMaterial, request [0-9A-F-]{36}/).waitFor();
  await pending();

  // The token of another key's download.
  await upload(page, wrapped, join(work, 'other', otherFiles.token));
  await page.getByRole('button', { name: 'Upload and import' }).click();
  await page.getByText(`The KMS refused the token file: it is not an import token for key ${keyId}.`).waitFor();
  await page.getByText('it was issued for another key').waitFor();
  await page.getByText(/Code InvalidImportToken, request/).waitFor();
  await pending();

  // Wrapped material cut short: refused by the KMS, and the page says what size it should be.
  const raw = readFileSync(join(dir, 'EncryptedKeyMaterial.bin'));
  writeFileSync(join(dir, 'short.bin'), raw.subarray(0, 200));
  await upload(page, join(dir, 'short.bin'), join(dir, first.token));
  await page.getByText('Detected raw bytes in short.bin: 200 bytes').waitFor();
  await page.getByRole('button', { name: 'Upload and import' }).click();
  await page.getByText('The uploaded file held 200 bytes of wrapped material; a ciphertext under an RSA_2048 public key is 256 bytes.').waitFor();
  await pending();

  // Hex text is not what the guide makes: refused in the page, before anything is sent.
  writeFileSync(join(dir, 'wrapped.hex'), raw.toString('hex'));
  await page.getByLabel('Wrapped key material').setInputFiles(join(dir, 'wrapped.hex'));
  await page.getByText('wrapped.hex looks like hex text').waitFor();
  assert.ok(await page.getByRole('button', { name: 'Upload and import' }).isDisabled());

  // An expired token, as the KMS answers it (the reply is stood in for: a real one takes 24 hours).
  await page.route(/\/\?/, async (route) => {
    if (route.request().headers()['x-acs-action'] !== 'ImportKeyMaterial') return route.fallback();
    return route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ RequestId: '00000000-0000-4000-8000-000000000000', Code: 'ExpiredImportToken', Message: 'the import token expired' }) });
  });
  await upload(page, wrapped, join(dir, first.token));
  await page.getByRole('button', { name: 'Upload and import' }).click();
  await page.getByText('The import token expired: a token is valid for 24 hours after its download.').waitFor();
  await page.unroute(/\/\?/);
  await pending();

  // The right pair still imports: the refusals changed nothing.
  await upload(page, wrapped, join(dir, first.token));
  await page.getByRole('button', { name: 'Upload and import' }).click();
  await page.getByText(`Imported. Key ${keyId} is Enabled`).waitFor();
  await assertImported(keyId, readFileSync(join(dir, 'KeyMaterial.bin')));

  // The only console errors are Chromium's notes on the refused calls (HTTP 400).
  const unexpected = seen.problems.filter((p) => !/Failed to load resource: the server responded with a status of 400/.test(p));
  assert.deepEqual(unexpected, []);
  await context.close();
});
