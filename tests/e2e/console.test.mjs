// The console in real headless Chromium against a real `byok-kms serve`, clicked through like an
// operator would, while every request the page makes is captured: the plaintext material must
// appear in none of them, in any encoding. Then the upload is proven real: the key is Enabled, and
// a ciphertext the KMS makes decrypts *locally* with the material the page let us download.
//
// Needs `make pkg` and `cargo build -p byok-kms` (make test does both).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, parseBlob } from '../kms.mjs';
import { assertNeverSent, openConsole as openPage, startHarness } from './harness.mjs';

const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; style-src 'self'; "
  + "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const ARTEFACTS = join(ROOT, 'build/e2e');

let h; // the harness: kms, browser, api
let kms;
let api; // a KmsClient in Node, to check what the page did
let files;

before(async () => {
  h = await startHarness();
  ({ kms, api } = h);
  files = mkdtempSync(join(tmpdir(), 'byok-console-'));
  mkdirSync(ARTEFACTS, { recursive: true });
});

after(async () => {
  await h?.close();
  rmSync(files, { recursive: true, force: true });
});

/** The console in a fresh, recorded context (tests/e2e/harness.mjs). */
const openConsole = (options) => openPage(h, options);

/** AES-GCM decryption of a byok-kms ciphertext blob with the material, in Node. */
function decryptLocally(material, blobBase64, context = {}) {
  const blob = parseBlob(blobBase64);
  const sorted = Object.fromEntries(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : 1)));
  const aad = Buffer.concat([Buffer.from(`byok-kms ciphertext v1\0${blob.keyId}\0${blob.versionId}\0`), Buffer.from(JSON.stringify(sorted))]);
  const decipher = createDecipheriv(`aes-${material.length * 8}-gcm`, Buffer.from(material), blob.nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(blob.tag);
  return Buffer.concat([decipher.update(blob.ciphertext), decipher.final()]);
}

/** Proves the KMS holds exactly `material` for `keyId`: its ciphertext opens locally with it. */
async function assertImported(keyId, material) {
  const key = await api.describeKey(keyId);
  assert.equal(key.KeyState, 'Enabled');
  const plaintext = Buffer.from(`proof for ${keyId}`);
  const context = { test: 'console' };
  const encrypted = await api.call('Encrypt', { KeyId: keyId, Plaintext: plaintext.toString('base64'), EncryptionContext: JSON.stringify(context) });
  assert.deepEqual(decryptLocally(material, encrypted.CiphertextBlob, context), plaintext);
  const decrypted = await api.call('Decrypt', { CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: JSON.stringify(context) });
  assert.equal(decrypted.Plaintext, plaintext.toString('base64'));
  return encrypted.CiphertextBlob;
}

async function createKeyInPage(page, spec = 'Aliyun_AES_256') {
  await page.getByLabel('Key spec').selectOption(spec);
  await page.getByLabel('I understand the implications of using external key materials').check();
  await page.getByRole('button', { name: 'Create EXTERNAL key' }).click();
  const created = await page.getByText(/^Created key [0-9a-f-]{36}/).textContent();
  return created.match(/[0-9a-f-]{36}/)[0];
}

/** A key check value computed independently of the page: Node's AES-ECB of a zero block. */
function kcv(material) {
  const c = createCipheriv(`aes-${material.length * 8}-ecb`, Buffer.from(material), null).setAutoPadding(false);
  return Buffer.concat([c.update(Buffer.alloc(16)), c.final()]).subarray(0, 3).toString('hex').toUpperCase();
}

test('the page is served with the CSP and security headers of DESIGN.md', async () => {
  const { context, page, response, seen } = await openConsole({ fragment: false });
  for (const path of ['/', '/console.js', '/style.css', '/pkg/byok_wrap.js', '/pkg/byok_wrap_bg.wasm']) {
    const r = path === '/' ? response : await page.request.get(`${kms.origin}${path}`);
    assert.equal(r.status(), 200, path);
    const h = r.headers();
    assert.equal(h['content-security-policy'], CSP, path);
    assert.equal(h['x-content-type-options'], 'nosniff', path);
    assert.equal(h['referrer-policy'], 'no-referrer', path);
  }
  await page.getByText('Enter an access key to connect.').waitFor();
  // The form works with the keyboard alone.
  await page.getByLabel('AccessKeyId').focus();
  await page.keyboard.type(kms.accessKeyId);
  await page.keyboard.press('Tab');
  await page.keyboard.type(kms.accessKeySecret);
  await page.keyboard.press('Enter');
  await page.getByText('Connected. Choose a key').waitFor();
  assert.deepEqual(seen.problems, []);
  assert.deepEqual(seen.blocked, []);
  await context.close();
});

test('generated material: imported by clicking, and never sent in any form', async () => {
  const { context, page, seen } = await openConsole();
  await page.getByText('Connected. Choose a key').waitFor();
  assert.equal(new URL(page.url()).hash, '', 'the credentials are cleared from the address bar');
  const keyId = await createKeyInPage(page);
  await page.getByRole('button', { name: 'Generate material in this browser' }).click();
  await page.getByText('Generated 32 bytes of material in this browser').waitFor();
  const importButton = page.getByRole('button', { name: 'Wrap and import' });
  assert.ok(await importButton.isDisabled(), 'import waits for a backup');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download a backup of the material' }).click(),
  ]);
  const material = readFileSync(await download.path());
  assert.equal(material.length, 32);
  assert.equal(await page.locator('#kcv').textContent(), kcv(material));
  await importButton.click();
  await page.getByText(`Imported. Key ${keyId} is Enabled`).waitFor();
  for (const line of ['GetParametersForImport', 'Wrapping the material in this browser', 'ImportKeyMaterial', 'the key is Enabled']) {
    await page.locator('#progress li.done', { hasText: line }).waitFor();
  }
  assert.equal(await page.locator('dd[data-field="KeyState"]').textContent(), 'Enabled');
  // Tall enough for the whole page, so the sticky status bar stays at the top of the picture.
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: 1000, height });
  await page.screenshot({ path: join(ARTEFACTS, 'console-finished.png') });

  assertNeverSent(seen, material, 'the key material');
  assertNeverSent(seen, Buffer.from(kms.accessKeySecret), 'the access key secret');
  assert.ok(seen.requests.some((r) => r.headers?.['x-acs-action'] === 'ImportKeyMaterial'), 'the import was seen');
  assert.deepEqual(seen.blocked, []);
  assert.deepEqual(seen.problems, []);
  await assertImported(keyId, material);
  await context.close();
});

test('material from a file: picker and drag and drop, wrong sizes refused, re-import rules', async () => {
  const { context, page, seen } = await openConsole();
  await page.getByText('Connected. Choose a key').waitFor();
  const keyId = await createKeyInPage(page);
  const material = randomBytes(32);
  const backup = join(files, 'KeyMaterial.bin');
  writeFileSync(backup, material);

  // A 16-byte file for an AES-256 key, dropped on the zone: refused, with the numbers.
  const transfer = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(16).fill(7)], 'short.bin'));
    return dt;
  });
  await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: transfer });
  await page.getByText('The file short.bin is 16 bytes; a Aliyun_AES_256 key needs exactly 32 bytes').waitFor();
  // Base64 text of the right material is recognised and explained.
  writeFileSync(join(files, 'material.b64'), material.toString('base64'));
  await page.getByLabel(/choose one/).setInputFiles(join(files, 'material.b64'));
  await page.getByText('It looks like base64 text').waitFor();
  assert.ok(await page.getByRole('button', { name: 'Wrap and import' }).isDisabled());

  // The right file, through the picker.
  await page.getByLabel(/choose one/).setInputFiles(backup);
  await page.getByText('Loaded KeyMaterial.bin').waitFor();
  assert.equal(await page.locator('#kcv').textContent(), kcv(material));
  await page.getByRole('button', { name: 'Wrap and import' }).click();
  await page.getByText(`Imported. Key ${keyId} is Enabled`).waitFor();
  const blob = await assertImported(keyId, material);

  // Delete the material; different material is refused with a readable reason.
  await page.getByRole('button', { name: 'Delete key material' }).click();
  await page.getByRole('button', { name: 'Really delete the material' }).click();
  await page.getByText(`Deleted the material of ${keyId}; it is PendingImport`).waitFor();
  const other = join(files, 'Other.bin');
  writeFileSync(other, randomBytes(32));
  await page.getByLabel(/choose one/).setInputFiles(other);
  await page.getByRole('button', { name: 'Wrap and import' }).click();
  await page.getByText('The KMS refused the material. A key accepts only the material first imported into it').waitFor();
  await page.getByText(/Code InvalidKeyMaterial, request [0-9A-F-]{36}/).waitFor();
  assert.equal((await api.describeKey(keyId)).KeyState, 'PendingImport');

  // The backup goes back in, this time with an expiry, and the old ciphertext decrypts again.
  await page.getByLabel(/choose one/).setInputFiles(backup);
  await page.getByLabel('Expires at').check();
  const tomorrow = new Date(Date.now() + 86_400_000);
  const local = new Date(tomorrow.getTime() - tomorrow.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  await page.getByLabel('Expiry date and time').fill(local);
  await page.getByRole('button', { name: 'Wrap and import' }).click();
  await page.getByText(`Imported. Key ${keyId} is Enabled`).waitFor();
  const expiry = (await api.describeKey(keyId)).MaterialExpireTime;
  assert.equal(Date.parse(expiry), Math.floor(tomorrow.getTime() / 60_000) * 60_000, `expiry ${expiry}`);
  assert.equal(await page.locator('dd[data-field="MaterialExpireTime"]').textContent(), expiry);
  const again = await api.call('Decrypt', { CiphertextBlob: blob, EncryptionContext: JSON.stringify({ test: 'console' }) });
  assert.equal(Buffer.from(again.Plaintext, 'base64').toString(), `proof for ${keyId}`);

  // A state refusal reads well too.
  await api.call('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });
  await page.getByLabel(/choose one/).setInputFiles(backup);
  await page.getByRole('button', { name: 'Wrap and import' }).click();
  await page.getByText('The key\'s current state does not allow this.').waitFor();
  await page.getByText(/ImportKeyMaterial is not allowed while the key is PendingDeletion/).waitFor();

  assertNeverSent(seen, material, 'the key material');
  assert.deepEqual(seen.blocked, []);
  // The only console errors are Chromium's notes on the two refused calls (HTTP 400 and 409).
  const unexpected = seen.problems.filter((p) => !/Failed to load resource: the server responded with a status of (400|409)/.test(p));
  assert.deepEqual(unexpected, []);
  assert.equal(seen.problems.length, 2, seen.problems.join('\n'));
  await context.close();
});

test('Connect waits for the page script: nothing is submitted before the handlers are attached', async () => {
  const { context, page, seen } = await openConsole({ fragment: false });
  // Hold the wasm back, so the page's module stops at init() before attaching any handler.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route('**/pkg/byok_wrap_bg.wasm', async (route) => { await held; await route.continue(); });
  await page.reload();
  const connect = page.getByRole('button', { name: 'Connect' });
  assert.equal(await connect.isDisabled(), true);
  await page.getByLabel('AccessKeyId').fill(kms.accessKeyId);
  await page.getByLabel('AccessKeySecret').fill('typed-before-the-script-ran');
  // A native submission would be refused by the CSP (form-action 'none'): watch for that.
  await page.evaluate(() => {
    window.refusedSubmissions = [];
    document.addEventListener('securitypolicyviolation', (e) => window.refusedSubmissions.push(e.violatedDirective));
  });
  await page.getByLabel('AccessKeySecret').press('Enter');
  assert.deepEqual(await page.evaluate(() => window.refusedSubmissions), []);
  assert.equal(page.url(), `${kms.origin}/`);
  release();
  await page.waitForFunction(() => !document.getElementById('connect-button').disabled);
  await connect.click();
  await page.getByText('The access key was refused: check the AccessKeyId and the AccessKeySecret.').waitFor();
  assert.equal(page.url(), `${kms.origin}/`);
  assertNeverSent(seen, Buffer.from('typed-before-the-script-ran'), 'the secret typed before the script ran');
  await context.close();
});

test('a wrong access key is refused with a readable message', async () => {
  const { context, page } = await openConsole({ fragment: false });
  await page.getByLabel('AccessKeyId').fill(kms.accessKeyId);
  await page.getByLabel('AccessKeySecret').fill('not-the-secret');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.getByText('The access key was refused: check the AccessKeyId and the AccessKeySecret.').waitFor();
  assert.ok(await page.locator('#connect').isVisible());
  await context.close();
});
