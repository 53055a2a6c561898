// The console's create and manage panels in real headless Chromium against a real `byok-kms
// serve`, clicked through like an operator: a key created with its alias, description and tags
// once the guide's confirmation is ticked (and a refused tag creating nothing), then managed
// (aliases, tags, state, deletion, material deleted and imported again, rotation), and asymmetric
// keys importing a private key from a PEM and a DER file made by openssl. Each effect is checked
// with a Node KmsClient; no request the page made may carry a secret in any encoding.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, verify } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../kms.mjs';
import { assertNeverSent, openConsole, startHarness } from './harness.mjs';

const ARTEFACTS = join(ROOT, 'build/e2e');
const ACK = 'I understand the implications of using external key materials';
const KEY_ID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

let h; // { kms, browser, api, lib }
let files;

before(async () => {
  h = await startHarness();
  files = mkdtempSync(join(tmpdir(), 'byok-manage-'));
  mkdirSync(ARTEFACTS, { recursive: true });
});

after(async () => {
  await h?.close();
  rmSync(files, { recursive: true, force: true });
});

async function connected() {
  const opened = await openConsole(h);
  await opened.page.getByText('Connected. Choose a key').waitFor();
  return opened;
}

const keyCount = async () => (await h.api.listKeys({ pageSize: 100 })).TotalCount;
const aliasesOf = async (keyId) => (await h.api.call('ListAliasesByKeyId', { KeyId: keyId })).Aliases.Alias.map((a) => a.AliasName).sort();
const tagsOf = async (keyId) => (await h.api.call('ListResourceTags', { KeyId: keyId })).Tags.Tag.map((t) => `${t.TagKey}=${t.TagValue}`).sort();

/** Creates a key in the page: `spec`, an alias and tags if given; resolves to its id. */
async function create(page, { spec = 'Aliyun_AES_256', usage, alias, tags = [] } = {}) {
  await page.getByLabel('Key spec').selectOption(spec);
  if (usage) await page.getByLabel('Key usage').selectOption(usage);
  if (alias) await page.getByLabel('Key alias (optional)').fill(alias);
  for (const [i, [key, value]] of tags.entries()) {
    await page.getByRole('button', { name: 'Add a tag' }).click();
    await page.getByLabel(`Tag key ${i + 1}`, { exact: true }).fill(key);
    await page.getByLabel(`Tag value ${i + 1}`, { exact: true }).fill(value);
  }
  await page.getByLabel(ACK).check();
  await page.getByRole('button', { name: 'Create EXTERNAL key' }).click();
  const created = await page.getByText(/^Created key /).textContent();
  return created.match(KEY_ID)[0];
}

/** Generates material in the page, downloads its backup and imports it; resolves to the backup. */
async function importGenerated(page, keyId) {
  await page.getByRole('button', { name: 'Generate material in this browser' }).click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download a backup of the material' }).click(),
  ]);
  const path = join(files, `${keyId}.bin`);
  await download.saveAs(path);
  await page.getByRole('button', { name: 'Wrap and import' }).click();
  await page.getByText(`Imported. Key ${keyId} is Enabled`).waitFor();
  return path;
}

/** Refusals the page provoked on purpose show as Chromium console errors of their status. */
function unexpectedProblems(seen) {
  return seen.problems.filter((p) => !/Failed to load resource: the server responded with a status of (400|404|409)/.test(p));
}

test('create: alias, description, tags and usage, once the guide\'s box is ticked; refusals create nothing, a failed alias step says so', async () => {
  const { context, page, seen } = await connected();
  const createButton = page.getByRole('button', { name: 'Create EXTERNAL key' });
  assert.ok(await createButton.isDisabled(), 'Create waits for the confirmation');
  // Every field of the create form and the manage panel has a label (tag rows too), every button a name.
  await page.getByRole('button', { name: 'Add a tag' }).click();
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('#create-form :is(input, select), #manage :is(input, select)')]
    .filter((e) => e.labels.length === 0).map((e) => e.id)
    .concat([...document.querySelectorAll('#create-form button, #manage button')].filter((b) => !(b.getAttribute('aria-label') || b.textContent.trim())).map((b) => b.id)));
  assert.deepEqual(unlabelled, []);
  await page.getByRole('button', { name: 'Remove tag 1' }).click();
  assert.ok(await page.getByRole('button', { name: 'Add a tag' }).evaluate((b) => b === document.activeElement), 'focus returns to Add a tag');
  await page.getByLabel('Description (optional)').fill('payments data key');
  // Three tag rows, the middle one removed: the others are numbered 1 and 2 again.
  for (let i = 0; i < 3; i += 1) await page.getByRole('button', { name: 'Add a tag' }).click();
  await page.getByLabel('Tag key 1', { exact: true }).fill('env');
  await page.getByLabel('Tag value 1', { exact: true }).fill('prod');
  await page.getByLabel('Tag key 2', { exact: true }).fill('dropped');
  await page.getByLabel('Tag key 3', { exact: true }).fill('team');
  await page.getByLabel('Tag value 3', { exact: true }).fill('pay');
  await page.getByRole('button', { name: 'Remove tag 2' }).click();
  assert.equal(await page.getByLabel('Tag key 2', { exact: true }).inputValue(), 'team');
  await page.getByLabel('Key alias (optional)').fill('alias/payments');
  await page.getByLabel(ACK).check();
  assert.ok(await createButton.isEnabled());
  await page.getByLabel(ACK).uncheck();
  assert.ok(await createButton.isDisabled());
  await page.getByLabel(ACK).check();
  await createButton.click();
  const created = await page.getByText(/^Created key /).textContent();
  const keyId = created.match(KEY_ID)[0];
  assert.match(created, /\(Aliyun_AES_256, ENCRYPT\/DECRYPT\) with 2 tags, alias alias\/payments; it is PendingImport/);
  const key = await h.api.describeKey(keyId);
  assert.equal(key.Description, 'payments data key');
  assert.equal(key.Origin, 'EXTERNAL');
  assert.deepEqual(await tagsOf(keyId), ['env=prod', 'team=pay']);
  assert.deepEqual(await aliasesOf(keyId), ['alias/payments']);
  assert.ok(await createButton.isDisabled(), 'the confirmation is asked again for the next key');

  // A tag the KMS refuses: its sentence, and no key.
  const before = await keyCount();
  await page.getByRole('button', { name: 'Add a tag' }).click();
  await page.getByLabel('Tag key 1', { exact: true }).fill('acs:mine');
  await page.getByLabel(ACK).check();
  await createButton.click();
  await page.getByText(/Nothing was created\. The KMS refused a value; correct it and try again: the parameter Tags is invalid: the tag key "acs:mine" starts with "acs:"/).waitFor();
  await page.getByText('Code InvalidParameter').waitFor();
  assert.equal(await keyCount(), before);
  await page.getByRole('button', { name: 'Remove tag 1' }).click();

  // A usage the spec does not take: the KMS says so.
  await page.getByLabel('Key spec').selectOption('EC_P256');
  assert.equal(await page.getByLabel('Key usage').inputValue(), 'SIGN/VERIFY', 'a private key spec defaults to signing');
  await page.getByLabel('Key usage').selectOption('ENCRYPT/DECRYPT');
  await createButton.click();
  await page.getByText(/Nothing was created\..*KeyUsage is invalid: must be SIGN\/VERIFY for an EC key spec/).waitFor();
  assert.equal(await keyCount(), before);

  // The alias is taken: the key exists without it, and the page says which step failed.
  await page.getByLabel('Key spec').selectOption('Aliyun_AES_256');
  await page.getByLabel('Key alias (optional)').fill('alias/payments');
  await page.getByLabel(ACK).check();
  await createButton.click();
  await page.locator('#error', { hasText: 'but the alias step' }).waitFor();
  assert.equal(await page.locator('#status').textContent(), '', 'no success message for a half-done create');
  const message = await page.locator('#error').textContent();
  assert.match(message, /^Created key .* but the alias step \(CreateAlias alias\/payments\) failed, so the key has no alias\. Add one under “Manage the key”\. Why: another key has this alias already\./);
  const orphan = message.match(KEY_ID)[0];
  assert.equal((await h.api.describeKey(orphan)).KeyState, 'PendingImport');
  assert.deepEqual(await aliasesOf(orphan), []);
  assert.equal(await keyCount(), before + 1);

  assert.deepEqual(unexpectedProblems(seen), []);
  assert.deepEqual(seen.blocked, []);
  await context.close();
});

test('manage: aliases, tags, disable and enable, deletion scheduled and cancelled, material deleted and imported again, rotation', async () => {
  const { context, page, seen } = await connected();
  const keyId = await create(page, { alias: 'alias/rotating' });
  const backup = await importGenerated(page, keyId);
  const manage = page.locator('#manage');
  await page.locator('#alias-list').getByText('alias/rotating').waitFor();

  // Aliases.
  await page.getByLabel('New alias').fill('alias/second');
  await page.getByRole('button', { name: 'Add alias' }).click();
  await page.getByText(`Added the alias alias/second to key ${keyId}.`).waitFor();
  assert.deepEqual(await aliasesOf(keyId), ['alias/rotating', 'alias/second']);
  await page.getByLabel('New alias').fill('second');
  await page.getByRole('button', { name: 'Add alias' }).click();
  await page.getByText(/The KMS refused a value.*AliasName is invalid: must start with alias\//).waitFor();
  await page.getByLabel('New alias').fill('alias/rotating');
  await page.getByRole('button', { name: 'Add alias' }).click();
  await page.getByText('This alias already names a key').waitFor();
  await page.getByRole('button', { name: 'Remove alias alias/second' }).click();
  await page.getByText('Removed the alias alias/second').waitFor();
  assert.deepEqual(await aliasesOf(keyId), ['alias/rotating']);

  // Tags.
  await page.getByLabel('New tag key').fill('owner');
  await page.getByLabel('New tag value').fill('team a');
  await page.getByRole('button', { name: 'Add tag' }).click();
  await page.getByText(`Tagged key ${keyId} with owner=team a.`).waitFor();
  await page.locator('#tag-table td', { hasText: 'team a' }).waitFor();
  assert.deepEqual(await tagsOf(keyId), ['owner=team a']);
  await page.getByLabel('New tag key').fill('aliyun-x');
  await page.getByRole('button', { name: 'Add tag' }).click();
  await page.getByText(/the tag key "aliyun-x" starts with "aliyun"/).waitFor();
  assert.deepEqual(await tagsOf(keyId), ['owner=team a']);
  await page.getByRole('button', { name: 'Remove tag owner' }).click();
  await page.getByText(`Removed the tag owner from key ${keyId}.`).waitFor();
  assert.deepEqual(await tagsOf(keyId), []);

  // State.
  await page.getByRole('button', { name: 'Disable', exact: true }).click();
  await page.getByText(`Disabled key ${keyId}; it is Disabled`).waitFor();
  assert.equal((await h.api.describeKey(keyId)).KeyState, 'Disabled');
  await assert.rejects(h.api.call('Encrypt', { KeyId: keyId, Plaintext: 'AA==' }), (e) => e.code === 'Rejected.Disabled');
  await page.getByRole('button', { name: 'Enable', exact: true }).click();
  await page.getByText(`Enabled key ${keyId}; it is Enabled.`).waitFor();
  assert.equal((await h.api.describeKey(keyId)).KeyState, 'Enabled');

  // Deletion: a window the KMS refuses, then 7 days, then cancelled.
  await page.getByLabel('Deletion window in days').fill('3');
  await page.getByRole('button', { name: 'Schedule deletion' }).click();
  await page.getByText(/PendingWindowInDays is invalid: must be a whole number of days from 7 to 366/).waitFor();
  await page.getByLabel('Deletion window in days').fill('7');
  await page.getByRole('button', { name: 'Schedule deletion' }).click();
  await page.getByText(new RegExp(`Scheduled key ${keyId} for deletion on \\S+; it is PendingDeletion`)).waitFor();
  assert.equal((await h.api.describeKey(keyId)).KeyState, 'PendingDeletion');
  await page.getByRole('button', { name: 'Disable', exact: true }).click();
  await page.getByText('The key\'s current state does not allow this.').waitFor();
  await page.getByRole('button', { name: 'Cancel deletion' }).click();
  await page.getByText(`Cancelled the deletion of key ${keyId}; it is Enabled.`).waitFor();
  assert.equal((await h.api.describeKey(keyId)).KeyState, 'Enabled');

  // Material deleted, then the backup imported again.
  const blob = (await h.api.call('Encrypt', { KeyId: keyId, Plaintext: Buffer.from('kept').toString('base64') })).CiphertextBlob;
  await page.getByRole('button', { name: 'Delete key material' }).click();
  await page.getByRole('button', { name: 'Really delete the material' }).click();
  await page.getByText(`Deleted the material of ${keyId}; it is PendingImport`).waitFor();
  await page.getByLabel(/choose one/).setInputFiles(backup);
  await page.getByRole('button', { name: 'Wrap and import' }).click();
  await page.getByText(`Imported. Key ${keyId} is Enabled`).waitFor();
  assert.equal(Buffer.from((await h.api.call('Decrypt', { CiphertextBlob: blob })).Plaintext, 'base64').toString(), 'kept');

  // Rotation: new material generated, backed up, the alias moved; the old key stays Enabled.
  const rotateButton = page.getByRole('button', { name: 'Rotate', exact: true });
  assert.equal(await page.getByLabel('Alias to move').inputValue(), 'alias/rotating');
  assert.ok(await rotateButton.isDisabled(), 'rotation waits for new material');
  await page.getByRole('button', { name: 'Generate new material' }).click();
  assert.ok(await rotateButton.isDisabled(), 'rotation waits for a backup');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download a backup of the new material' }).click(),
  ]);
  const newMaterial = readFileSync(await download.path());
  assert.equal(newMaterial.length, 32);
  await rotateButton.click();
  const rotated = await page.getByText(/^Rotated\. alias\/rotating now names the new key/).textContent();
  const newKeyId = rotated.match(KEY_ID)[0];
  assert.notEqual(newKeyId, keyId);
  await page.getByText(`Rotated alias/rotating: old key ${keyId} (still Enabled, for what it encrypted), new key ${newKeyId} (Enabled).`).waitFor();
  for (const line of ['CreateKey', 'GetParametersForImport', 'ImportKeyMaterial', 'UpdateAlias']) {
    await page.locator('#rotate-progress li.done', { hasText: line }).waitFor();
  }
  assert.equal((await h.api.describeKey('alias/rotating')).KeyId, newKeyId);
  assert.equal((await h.api.describeKey(keyId)).KeyState, 'Enabled');
  assert.equal((await h.api.describeKey(newKeyId)).KeyState, 'Enabled');
  assert.deepEqual(await aliasesOf(keyId), []);
  assert.equal(Buffer.from((await h.api.call('Decrypt', { CiphertextBlob: blob })).Plaintext, 'base64').toString(), 'kept');
  await page.locator('#alias-list').getByText('No alias.').waitFor();

  // The picture: the old key after its rotation, with a tag, the inputs cleared; the page as tall
  // as its content, so the sticky status bar stays at the top, away from the panel.
  await page.getByLabel('New alias').fill('');
  await page.getByLabel('New tag key').fill('rotated');
  await page.getByLabel('New tag value').fill('to the key alias/rotating names');
  await page.getByRole('button', { name: 'Add tag' }).click();
  await page.locator('#tag-table td', { hasText: 'to the key alias/rotating names' }).waitFor();
  await page.setViewportSize({ width: 1000, height: await page.evaluate(() => document.documentElement.scrollHeight) });
  await page.screenshot({ path: join(ARTEFACTS, 'console-manage.png'), clip: await manage.boundingBox() });
  assertNeverSent(seen, readFileSync(backup), 'the key material');
  assertNeverSent(seen, newMaterial, 'the rotated key material');
  assertNeverSent(seen, Buffer.from(h.kms.accessKeySecret), 'the access key secret');
  assert.deepEqual(unexpectedProblems(seen), []);
  assert.deepEqual(seen.blocked, []);
  await context.close();
});

/** A private key made by openssl genpkey in `form` (PEM or DER, PKCS#8), and its public key PEM. */
function opensslKey(name, algorithmArgs, form) {
  const path = join(files, `${name}.${form === 'PEM' ? 'pem' : 'der'}`);
  execFileSync('openssl', ['genpkey', ...algorithmArgs, '-outform', form, '-out', path], { stdio: 'pipe' });
  const publicPem = execFileSync('openssl', ['pkey', '-inform', form, '-in', path, '-pubout']).toString();
  const der = execFileSync('openssl', ['pkey', '-inform', form, '-in', path, '-outform', 'DER']);
  return { path, publicPem, der, file: readFileSync(path) };
}

test('asymmetric: RSA_2048 from a PEM file and EC_P256 from a DER file, wrapped in the page; GetPublicKey is openssl\'s; the private key is never sent', async () => {
  const { context, page, seen } = await connected();
  const cases = [
    { spec: 'RSA_2048', key: opensslKey('rsa', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], 'PEM'), sign: 'RSA_PKCS1_SHA_256' },
    { spec: 'EC_P256', key: opensslKey('p256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'DER'), sign: 'ECDSA_SHA_256' },
  ];
  for (const { spec, key, sign } of cases) {
    const keyId = await create(page, { spec, usage: 'SIGN/VERIFY' });
    assert.ok(await page.getByLabel(/RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD \(for private keys/).isChecked(), 'a private key takes the hybrid algorithm');
    assert.ok(await page.getByRole('button', { name: 'Generate material in this browser' }).isHidden());
    await page.getByLabel(/^Private key file/).setInputFiles(key.path);
    await page.getByText(`Loaded the private key ${key.path.split('/').pop()}`).waitFor();
    await page.getByRole('button', { name: 'Wrap and import' }).click();
    await page.getByText(`Imported. Key ${keyId} is Enabled. The private key was wiped from this page`).waitFor();
    await page.locator('#progress li.done', { hasText: 'Wrapping the private key in this browser (RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD)' }).waitFor();

    const described = await h.api.describeKey(keyId);
    assert.equal(described.KeySpec, spec);
    assert.equal(described.KeyUsage, 'SIGN/VERIFY');
    const version = described.PrimaryKeyVersion;
    const { PublicKey } = await h.api.call('GetPublicKey', { KeyId: keyId, KeyVersionId: version });
    assert.equal(PublicKey.trim(), key.publicPem.trim(), `${spec}: the KMS holds the file's key`);
    // And it signs with it: a signature the KMS makes verifies in Node with openssl's public key.
    const digest = createHash('sha256').update(`signed by ${spec}`).digest();
    const signed = await h.api.call('AsymmetricSign', { KeyId: keyId, KeyVersionId: version, Algorithm: sign, Digest: digest.toString('base64') });
    const ok = verify('sha256', Buffer.from(`signed by ${spec}`), key.publicPem, Buffer.from(signed.Value, 'base64'));
    assert.ok(ok, `${spec}: the KMS's signature verifies`);

    assertNeverSent(seen, key.der, `the ${spec} private key (PKCS#8 DER)`);
    assertNeverSent(seen, key.file, `the ${spec} private key file`);
    if (key.path.endsWith('.pem')) {
      for (const line of key.file.toString().split('\n').filter((l) => l.length === 64)) assertNeverSent(seen, Buffer.from(line), `a line of the ${spec} PEM`);
    }
  }

  // A private key of the wrong type is refused in words, and the key stays PendingImport.
  const keyId = await create(page, { spec: 'EC_P256', usage: 'SIGN/VERIFY' });
  await page.getByLabel(/^Private key file/).setInputFiles(cases[0].key.path);
  await page.getByRole('button', { name: 'Wrap and import' }).click();
  await page.getByText(/The private key is not of the key's spec/).waitFor();
  assert.equal((await h.api.describeKey(keyId)).KeyState, 'PendingImport');

  assert.deepEqual(unexpectedProblems(seen), []);
  assert.deepEqual(seen.blocked, []);
  await context.close();
});

test('asymmetric, elsewhere: the page\'s openssl lines wrap a private key, the upload imports it; and a rotation to another private key file', async () => {
  const { context, page, seen } = await connected();
  const key = opensslKey('offline-p256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'PEM');
  const dir = mkdtempSync(join(files, 'offline-'));
  execFileSync('cp', [key.path, join(dir, 'PrivateKey.pem')]);
  const keyId = await create(page, { spec: 'EC_P256', alias: 'alias/signing' });
  await page.getByLabel('Elsewhere: download the public key').check();
  await page.getByRole('button', { name: 'Get a public key and token' }).click();
  await page.getByText(`Got a public key and an import token for ${keyId}`).waitFor();
  const save = async (link) => {
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: link }).click()]);
    await file.saveAs(join(dir, file.suggestedFilename()));
    return file.suggestedFilename();
  };
  const publicKey = await save('Download the public key');
  const token = await save('Download the import token');
  const commands = await page.locator('#openssl-commands').textContent();
  assert.match(commands, /openssl enc -aes-256-ecb/);
  assert.ok(commands.includes(`-inkey ${publicKey}`));
  for (const line of commands.split(/\n(?! )/)) execFileSync('/bin/sh', ['-c', line], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  await page.getByLabel('Wrapped key material').setInputFiles(join(dir, 'EncryptedKeyMaterial_base64.txt'));
  await page.getByLabel('Import token: token_').setInputFiles(join(dir, token));
  await page.locator('#token-info').getByText('Read the import token').waitFor();
  await page.getByRole('button', { name: 'Upload and import' }).click();
  await page.getByText(`Imported. Key ${keyId} is Enabled. The material never reached this page`).waitFor();
  const version = (await h.api.describeKey(keyId)).PrimaryKeyVersion;
  assert.equal((await h.api.call('GetPublicKey', { KeyId: keyId, KeyVersionId: version })).PublicKey.trim(), key.publicPem.trim());

  // Rotation of an asymmetric key takes a private key file (here DER), wrapped in the page.
  const next = opensslKey('rotated-p256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'DER');
  await page.locator('#alias-list').getByText('alias/signing').waitFor();
  assert.ok(await page.getByRole('button', { name: 'Generate new material' }).isHidden());
  await page.getByLabel('New private key file').setInputFiles(next.path);
  await page.getByRole('button', { name: 'Rotate', exact: true }).click();
  const rotated = await page.getByText(/^Rotated\. alias\/signing now names the new key/).textContent();
  const newKeyId = rotated.match(KEY_ID)[0];
  const described = await h.api.describeKey('alias/signing');
  assert.equal(described.KeyId, newKeyId);
  assert.equal(described.KeySpec, 'EC_P256');
  assert.equal((await h.api.call('GetPublicKey', { KeyId: newKeyId, KeyVersionId: described.PrimaryKeyVersion })).PublicKey.trim(), next.publicPem.trim());
  assert.equal((await h.api.describeKey(keyId)).KeyState, 'Enabled');
  await page.locator('#rotate-progress li.done', { hasText: 'Wrapping the new material in this browser: RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD' }).waitFor();

  assertNeverSent(seen, key.der, 'the offline private key');
  assertNeverSent(seen, next.der, 'the rotated private key');
  assertNeverSent(seen, next.file, 'the rotated private key file');
  assert.deepEqual(unexpectedProblems(seen), []);
  await context.close();
});
