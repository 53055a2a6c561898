// byok-wrap's AwsKmsClient, and importKeyMaterial / rotateImportedKey taking it, in Node against a
// real `byok-kms serve` (its AWS KMS door): the whole import with every AWS wrapping algorithm,
// private keys (signatures checked by Node's crypto), AWS's refusals as their exception names with
// the key unchanged, and rotation in place (the old ciphertext still decrypts; a failure after the
// upload deletes the pending material again). Then the console connected to the AWS API in
// headless Chromium: create, generate, import, and the AWS openssl recipe run as the page shows it.
// Needs `make pkg` and `cargo build -p byok-kms`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createVerify, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../kms.mjs';
import { assertNeverSent, openConsole, startHarness } from './harness.mjs';

let h;
let lib;
let aws;

before(async () => {
  h = await startHarness();
  lib = h.lib;
  aws = new lib.AwsKmsClient({ region: 'us-east-1', endpoint: h.kms.origin, accessKeyId: h.kms.awsAccessKeyId, secretAccessKey: h.kms.awsSecretAccessKey });
});

after(async () => {
  aws?.free();
  await h?.close();
});

const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const encrypt = async (keyId, text) => (await aws.call('Encrypt', { KeyId: keyId, Plaintext: b64(Buffer.from(text)) })).CiphertextBlob;
const decrypt = async (blob) => Buffer.from((await aws.call('Decrypt', { CiphertextBlob: blob })).Plaintext, 'base64').toString();

/** Rejects with a ByokError of `code`; returns it. */
async function refused(promise, code) {
  const error = await promise.then(() => assert.fail(`expected ${code}`), (e) => e);
  assert.ok(lib.isByokError(error), String(error));
  assert.equal(error.code, code, error.message);
  assert.ok(error.message.length > 10);
  return error;
}

for (const algorithm of ['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1']) {
  for (const wrappingKeySpec of ['RSA_2048', 'RSA_4096']) {
    test(`importKeyMaterial with an AwsKmsClient: ${algorithm}, ${wrappingKeySpec}`, async () => {
      const key = await aws.createKey({ description: `${algorithm} ${wrappingKeySpec}` });
      assert.equal(key.KeyState, 'PendingImport');
      const material = lib.generateKeyMaterial('SYMMETRIC_DEFAULT');
      const steps = [];
      const validTo = Math.floor(Date.now() / 1000) + 86_400;
      const imported = await lib.importKeyMaterial(aws, { keyId: key.KeyId, material, algorithm, wrappingKeySpec, expiresAt: validTo,
        onStep: (s) => s.status === 'done' && steps.push(s.step) });
      assert.deepEqual(steps, ['checkKey', 'getParameters', 'wrap', 'upload', 'verify']);
      assert.equal(imported.KeyState, 'Enabled');
      assert.equal(imported.ExpirationModel, 'KEY_MATERIAL_EXPIRES');
      assert.equal(imported.ValidTo, validTo);
      assert.match(imported.CurrentKeyMaterialId, /^[0-9a-f]{64}$/);
      assert.equal(await decrypt(await encrypt(key.KeyId, 'hello')), 'hello');
      // The same material again, after deleting it, restores the key; other material is refused.
      await aws.deleteImportedKeyMaterial({ keyId: key.KeyId });
      assert.equal((await aws.describeKey(key.KeyId)).KeyState, 'PendingImport');
      await refused(lib.importKeyMaterial(aws, { keyId: key.KeyId, material: lib.generateKeyMaterial('SYMMETRIC_DEFAULT'), algorithm, wrappingKeySpec }),
        'IncorrectKeyMaterialException');
      assert.equal((await aws.describeKey(key.KeyId)).KeyState, 'PendingImport', 'unchanged by the refusal');
      const again = await lib.importKeyMaterial(aws, { keyId: key.KeyId, material, algorithm, wrappingKeySpec });
      assert.equal(again.KeyState, 'Enabled');
      assert.equal(again.ExpirationModel, 'KEY_MATERIAL_DOES_NOT_EXPIRE');
      assert.equal(again.CurrentKeyMaterialId, imported.CurrentKeyMaterialId, 'the same material has the same id');
    });
  }
}

for (const [spec, curve, algorithm] of [['ECC_NIST_P256', { type: 'ec', options: { namedCurve: 'P-256' } }, 'ECDSA_SHA_256'],
  ['RSA_2048', { type: 'rsa', options: { modulusLength: 2048 } }, 'RSASSA_PKCS1_V1_5_SHA_256']]) {
  test(`a ${spec} private key imports by default with RSA_AES_KEY_WRAP_SHA_256 and signs`, async () => {
    const key = await aws.createKey({ keySpec: spec, keyUsage: 'SIGN_VERIFY' });
    const pair = generateKeyPairSync(curve.type, curve.options);
    const privateKey = pair.privateKey.export({ type: 'pkcs8', format: 'pem' });
    const steps = [];
    const imported = await lib.importKeyMaterial(aws, { keyId: key.KeyId, privateKey, onStep: (s) => s.status === 'done' && steps.push(s.detail) });
    assert.equal(imported.KeyState, 'Enabled');
    assert.ok(steps.some((d) => d.startsWith('RSA_AES_KEY_WRAP_SHA_256')), steps.join('\n'));
    const message = Buffer.from('signed by an imported key');
    const { Signature } = await aws.call('Sign', { KeyId: key.KeyId, Message: b64(message), MessageType: 'RAW', SigningAlgorithm: algorithm });
    assert.ok(createVerify('SHA256').update(message).verify(pair.publicKey, Buffer.from(Signature, 'base64')));
  });
}

test('refusals: before any request where the package can tell, else AWS\'s exception with the key unchanged', async () => {
  let requests = 0;
  const counting = (...args) => { requests += 1; return fetch(...args); };
  const key = await aws.createKey();
  const material = lib.generateKeyMaterial('SYMMETRIC_DEFAULT');
  const error = await refused(lib.importKeyMaterial(aws, { keyId: key.KeyId, material, algorithm: 'RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD', fetch: counting }), 'InvalidArgument');
  assert.match(error.message, /not a wrapping algorithm of AWS KMS; its algorithms are RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1, RSA_AES_KEY_WRAP_SHA_1, RSA_AES_KEY_WRAP_SHA_256/);
  await refused(lib.importKeyMaterial(aws, { keyId: key.KeyId, material, algorithm: 'RSAES_PKCS1_V1_5', allowLegacyPkcs1: true, fetch: counting }), 'InvalidArgument');
  await refused(lib.importKeyMaterial(aws, { keyId: key.KeyId, material, expiresAt: Date.now(), fetch: counting }), 'InvalidArgument');
  await refused(lib.importKeyMaterial(aws, { keyId: key.KeyId, material, validTo: 1, fetch: counting }), 'InvalidArgument');
  await refused(lib.importKeyMaterial(aws, { keyId: key.KeyId, material: new Uint8Array(16), fetch: counting }), 'MaterialLength');
  assert.equal(requests, 1, 'only the DescribeKey that learnt the key spec was sent');
  // AWS-only options on Alibaba's client, and the other way round.
  await refused(lib.importKeyMaterial(h.api, { keyId: key.KeyId, material, importType: 'NEW_KEY_MATERIAL' }), 'InvalidArgument');
  await refused(lib.importKeyMaterial(h.api, { keyId: key.KeyId, material, algorithm: 'RSA_AES_KEY_WRAP_SHA_256' }), 'InvalidArgument');
  // The KMS's refusals, as AWS names them.
  const expired = await refused(lib.importKeyMaterial(aws, { keyId: key.KeyId, material, expiresAt: Math.floor(Date.now() / 1000) + 400 * 86_400 }), 'ValidationException');
  assert.match(expired.requestId, /^[0-9A-F-]{36}$/);
  assert.equal(expired.httpStatus, 400);
  await refused(aws.describeKey('00000000-0000-0000-0000-000000000000'), 'NotFoundException');
  const params = await aws.getParametersForImport({ keyId: key.KeyId });
  const other = await aws.createKey();
  const wrapped = await lib.wrapForImportAsync({ material, publicKey: params.PublicKey, algorithm: 'RSAES_OAEP_SHA_256' });
  await refused(aws.importKeyMaterial({ keyId: other.KeyId, encryptedKeyMaterial: wrapped, importToken: params.ImportToken }), 'InvalidImportTokenException');
  assert.equal((await aws.describeKey(key.KeyId)).KeyState, 'PendingImport');
  assert.equal((await aws.describeKey(other.KeyId)).KeyState, 'PendingImport');
  // A wrong secret, and a region the KMS does not sign for: the signature is refused.
  const wrong = new lib.AwsKmsClient({ region: 'us-east-1', endpoint: h.kms.origin, accessKeyId: h.kms.awsAccessKeyId, secretAccessKey: 'not-the-secret' });
  const bad = await wrong.describeKey(key.KeyId).then(() => assert.fail('accepted'), (e) => e);
  assert.match(bad.code, /Signature|Unrecognized/);
  assert.ok(!bad.message.includes('not-the-secret'));
  wrong.free();
  const elsewhere = new lib.AwsKmsClient({ region: 'eu-west-1', endpoint: h.kms.origin, accessKeyId: h.kms.awsAccessKeyId, secretAccessKey: h.kms.awsSecretAccessKey });
  assert.match((await elsewhere.describeKey(key.KeyId).then(() => assert.fail('accepted'), (e) => e)).code, /Signature/);
  elsewhere.free();
});

test('new AwsKmsClient checks its options and keeps the secret to itself', () => {
  const make = (options) => () => new lib.AwsKmsClient({ region: 'us-east-1', accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret-value', ...options });
  const client = make({})();
  assert.equal(client.endpoint, 'https://kms.us-east-1.amazonaws.com');
  assert.equal(client.region, 'us-east-1');
  assert.ok(!JSON.stringify(Object.entries(client)).includes('secret-value'));
  client.free();
  assert.throws(() => client.accessKeyId, { code: 'Freed' });
  assert.throws(make({ region: 'US East' }), { code: 'InvalidArgument', message: /region must be an AWS region/ });
  assert.throws(make({ endpoint: 'http://kms.example.com' }), { code: 'InsecureEndpoint' });
  assert.throws(make({ endpoint: 'https://kms.example.com/path' }), { code: 'InvalidArgument', message: /without a path/ });
  assert.throws(make({ secretAccessKey: '' }), { code: 'InvalidArgument', message: /secretAccessKey/ });
  assert.throws(make({ accessKeySecret: 'x' }), { code: 'InvalidArgument', message: /unknown option/ });
  make({ endpoint: 'http://127.0.0.1:1', sessionToken: 'token' })().free();
});

test('rotateImportedKey with an AwsKmsClient rotates in place; old ciphertexts still decrypt', async () => {
  const key = await aws.createKey();
  const first = await lib.importKeyMaterial(aws, { keyId: key.KeyId, material: lib.generateKeyMaterial('SYMMETRIC_DEFAULT') });
  await aws.createAlias({ aliasName: 'alias/rotate-in-place', targetKeyId: key.KeyId });
  const old = await encrypt('alias/rotate-in-place', 'before the rotation');
  const steps = [];
  const rotation = await lib.rotateImportedKey(aws, { keyId: 'alias/rotate-in-place', material: lib.generateKeyMaterial('SYMMETRIC_DEFAULT'),
    keyMaterialDescription: 'second', onStep: (s) => s.status === 'done' && steps.push(s.step) });
  assert.deepEqual(steps, ['checkKey', 'getParameters', 'wrap', 'upload', 'verify', 'rotate']);
  assert.equal(rotation.keyId, key.KeyId);
  assert.equal(rotation.previousKeyMaterialId, first.CurrentKeyMaterialId);
  assert.notEqual(rotation.keyMaterialId, first.CurrentKeyMaterialId);
  assert.equal(rotation.key.CurrentKeyMaterialId, rotation.keyMaterialId);
  assert.equal(await decrypt(old), 'before the rotation');
  assert.equal(await decrypt(await encrypt(key.KeyId, 'after')), 'after');
  const { Rotations } = await aws.listKeyRotations({ keyId: key.KeyId, includeKeyMaterial: 'ALL_KEY_MATERIAL' });
  assert.deepEqual(Rotations.map((r) => r.KeyMaterialState).sort(), ['CURRENT', 'NON_CURRENT']);
});

test('rotateImportedKey with an AwsKmsClient: a failure after the upload deletes the pending material again', async () => {
  const key = await aws.createKey();
  const first = await lib.importKeyMaterial(aws, { keyId: key.KeyId, material: lib.generateKeyMaterial('SYMMETRIC_DEFAULT') });
  // The network fails exactly at RotateKeyOnDemand.
  const failing = (url, init) => (init.headers['x-amz-target'] === 'TrentService.RotateKeyOnDemand'
    ? Promise.reject(new TypeError('connection reset')) : fetch(url, init));
  const error = await refused(lib.rotateImportedKey(aws, { keyId: key.KeyId, material: lib.generateKeyMaterial('SYMMETRIC_DEFAULT'), fetch: failing }), 'NetworkError');
  assert.equal(error.step, 'rotate');
  assert.equal(error.keyId, key.KeyId);
  assert.match(error.message, /was deleted again/);
  const now = await aws.describeKey(key.KeyId);
  assert.equal(now.CurrentKeyMaterialId, first.CurrentKeyMaterialId);
  const { Rotations } = await aws.listKeyRotations({ keyId: key.KeyId, includeKeyMaterial: 'ALL_KEY_MATERIAL' });
  assert.deepEqual(Rotations.map((r) => r.KeyMaterialState), ['CURRENT'], 'no material left pending');
  // A second rotation works: nothing was left half-done.
  const rotated = await lib.rotateImportedKey(aws, { keyId: key.KeyId, material: lib.generateKeyMaterial('SYMMETRIC_DEFAULT') });
  assert.equal(rotated.key.KeyState, 'Enabled');
  // Refused before anything is imported: a key whose material the KMS made, and options the rotation sets itself.
  const made = await aws.createKey({ origin: 'AWS_KMS' });
  assert.match((await refused(lib.rotateImportedKey(aws, { keyId: made.KeyId, material: lib.generateKeyMaterial('SYMMETRIC_DEFAULT') }), 'InvalidArgument')).message, /Origin is AWS_KMS/);
  await refused(lib.rotateImportedKey(aws, { keyId: key.KeyId, material: lib.generateKeyMaterial('SYMMETRIC_DEFAULT'), importType: 'EXISTING_KEY_MATERIAL' }), 'InvalidArgument');
  await refused(lib.rotateImportedKey(aws, { alias: 'alias/x', material: lib.generateKeyMaterial('SYMMETRIC_DEFAULT') }), 'InvalidArgument');
});

test('rotateImportedKey with an AwsKmsClient: once RotateKeyOnDemand ran, the new material is never deleted', async () => {
  const target = (init) => init.headers['x-amz-target'];
  // RotateKeyOnDemand is carried out but its reply is lost: the rotation read back is a success.
  const key = await aws.createKey();
  await lib.importKeyMaterial(aws, { keyId: key.KeyId, material: lib.generateKeyMaterial('SYMMETRIC_DEFAULT') });
  const lost = async (url, init) => {
    const response = await fetch(url, init);
    if (target(init) === 'TrentService.RotateKeyOnDemand') throw new TypeError('connection reset after the request');
    return response;
  };
  const rotation = await lib.rotateImportedKey(aws, { keyId: key.KeyId, material: lib.generateKeyMaterial('SYMMETRIC_DEFAULT'), fetch: lost });
  assert.equal((await aws.describeKey(key.KeyId)).CurrentKeyMaterialId, rotation.keyMaterialId);
  // RotateKeyOnDemand succeeds, then every DescribeKey fails: the error says the rotation is done.
  const other = await aws.createKey();
  const first = await lib.importKeyMaterial(aws, { keyId: other.KeyId, material: lib.generateKeyMaterial('SYMMETRIC_DEFAULT') });
  let rotated = false;
  const unreadable = async (url, init) => {
    if (rotated && target(init) === 'TrentService.DescribeKey') throw new TypeError('connection refused');
    const response = await fetch(url, init);
    if (target(init) === 'TrentService.RotateKeyOnDemand') rotated = true;
    return response;
  };
  const error = await refused(lib.rotateImportedKey(aws, { keyId: other.KeyId, material: lib.generateKeyMaterial('SYMMETRIC_DEFAULT'), fetch: unreadable }), 'NetworkError');
  assert.equal(error.step, 'rotate');
  assert.match(error.message, /was rotated: its current key material is the new [0-9a-f]{64}/);
  const now = await aws.describeKey(other.KeyId);
  assert.notEqual(now.CurrentKeyMaterialId, first.CurrentKeyMaterialId, 'the new material was not deleted');
  const { Rotations } = await aws.listKeyRotations({ keyId: other.KeyId, includeKeyMaterial: 'ALL_KEY_MATERIAL' });
  assert.deepEqual(Rotations.map((r) => r.KeyMaterialState).sort(), ['CURRENT', 'NON_CURRENT']);
  // RotateKeyOnDemand fails and the key cannot be read: nothing is deleted, and the error says so.
  let asked = false;
  const gone = async (url, init) => {
    if (target(init) === 'TrentService.RotateKeyOnDemand') asked = true;
    if (asked && ['TrentService.RotateKeyOnDemand', 'TrentService.DescribeKey', 'TrentService.DeleteImportedKeyMaterial'].includes(target(init))) {
      throw new TypeError('connection refused');
    }
    return fetch(url, init);
  };
  const unknown = await refused(lib.rotateImportedKey(aws, { keyId: other.KeyId, material: lib.generateKeyMaterial('SYMMETRIC_DEFAULT'), fetch: gone }), 'NetworkError');
  assert.match(unknown.message, /could not be checked, so nothing was deleted/);
  const pending = await aws.listKeyRotations({ keyId: other.KeyId, includeKeyMaterial: 'ALL_KEY_MATERIAL' });
  assert.ok(pending.Rotations.some((r) => r.KeyMaterialState === 'PENDING_ROTATION'), 'left for the caller to check');
});

test('rotateImportedKey with an AwsKmsClient: keys AWS does not rotate on demand, and bad options, are refused before any upload', async () => {
  let requests = 0;
  const counting = (...args) => { requests += 1; return fetch(...args); };
  const material = lib.generateKeyMaterial('SYMMETRIC_DEFAULT');
  const hmac = await aws.createKey({ keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' });
  const rsa = await aws.createKey({ keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' });
  const empty = await aws.createKey();
  assert.match((await refused(lib.rotateImportedKey(aws, { keyId: hmac.KeyId, material, fetch: counting }), 'InvalidArgument')).message,
    /HMAC_256 key for GENERATE_VERIFY_MAC: AWS KMS rotates imported material on demand only for symmetric encryption keys/);
  await refused(lib.rotateImportedKey(aws, { keyId: rsa.KeyId, material, fetch: counting }), 'InvalidArgument');
  assert.match((await refused(lib.rotateImportedKey(aws, { keyId: empty.KeyId, material, fetch: counting }), 'InvalidArgument')).message,
    /has no key material to rotate from \(PendingImport\)/);
  assert.equal(requests, 3, 'one DescribeKey each, nothing else');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await refused(lib.rotateImportedKey(aws, { keyId: rsa.KeyId, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }), fetch: counting }), 'InvalidArgument');
  // An import type AWS does not have, or a material id with NEW_KEY_MATERIAL: refused before any request.
  assert.match((await refused(lib.importKeyMaterial(aws, { keyId: empty.KeyId, material, importType: 'NEW', fetch: counting }), 'InvalidArgument')).message,
    /importType must be NEW_KEY_MATERIAL or EXISTING_KEY_MATERIAL/);
  await refused(lib.importKeyMaterial(aws, { keyId: empty.KeyId, material, importType: 'NEW_KEY_MATERIAL', keyMaterialId: 'ab'.repeat(32), fetch: counting }), 'InvalidArgument');
  await refused(aws.importKeyMaterial({ keyId: empty.KeyId, encryptedKeyMaterial: 'AA==', importToken: 'AA==', importType: 'OLD' }, { fetch: counting }), 'InvalidArgument');
  await refused(aws.getParametersForImport({ keyId: empty.KeyId, algorithm: 'RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD' }, { fetch: counting }), 'InvalidArgument');
  assert.equal(requests, 3, 'none of these was sent');
  for (const key of [hmac, rsa, empty]) assert.equal((await aws.describeKey(key.KeyId)).KeyState, 'PendingImport');
});

test('the console connects to the AWS KMS API: create, generate, import; and the AWS openssl recipe as the page shows it', async () => {
  const fragment = `api=aws&ak=${h.kms.awsAccessKeyId}&sk=${encodeURIComponent(h.kms.awsSecretAccessKey)}&region=us-east-1`;
  const { context, page, seen } = await openConsole(h, { fragment });
  await page.getByText('Connected. Choose a key').waitFor();
  await page.getByText('(AWS KMS API)').waitFor();
  assert.ok(!(await page.getByLabel(/RSAES_PKCS1_V1_5/).isVisible()), 'Alibaba-only algorithms are hidden');
  await page.getByLabel('Key spec').selectOption('SYMMETRIC_DEFAULT');
  await page.getByLabel('I understand the implications of using external key materials').check();
  await page.getByRole('button', { name: 'Create EXTERNAL key' }).click();
  const keyId = (await page.getByText(/^Created key [0-9a-f-]{36}/).textContent()).match(/[0-9a-f-]{36}/)[0];
  await page.getByRole('button', { name: 'Generate material in this browser' }).click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download a backup of the material' }).click()]);
  const material = readFileSync(await download.path());
  await page.getByLabel('RSA_AES_KEY_WRAP_SHA_256 (an AES key').check();
  // Selecting the key again keeps an algorithm that takes its kind of material (not the default).
  await page.getByRole('button', { name: `Select key ${keyId}` }).click();
  assert.ok(await page.getByLabel('RSA_AES_KEY_WRAP_SHA_256 (an AES key').isChecked(), 'the chosen algorithm stays');
  await page.getByRole('button', { name: 'Wrap and import' }).click();
  await page.getByText(`Imported. Key ${keyId} is Enabled`).waitFor();
  assert.equal(await page.locator('dd[data-field="ExpirationModel"]').textContent(), 'KEY_MATERIAL_DOES_NOT_EXPIRE');
  assert.ok(seen.requests.some((r) => r.headers?.['x-amz-target'] === 'TrentService.ImportKeyMaterial'), 'the import went through the AWS API');
  assertNeverSent(seen, material, 'the key material');
  assertNeverSent(seen, Buffer.from(h.kms.awsSecretAccessKey), 'the secret access key');

  // Elsewhere: delete the material, then wrap the same with the openssl lines the page shows.
  await page.getByRole('button', { name: 'Delete key material' }).click();
  await page.getByRole('button', { name: 'Really delete the material' }).click();
  await page.getByText(`Deleted the material of ${keyId}; it is PendingImport`).waitFor();
  await page.getByLabel('Elsewhere: download the public key').check();
  await page.getByRole('button', { name: 'Get a public key and token' }).click();
  await page.getByText(`Got a public key and an import token for ${keyId}`).waitFor();
  const dir = mkdtempSync(join(tmpdir(), 'byok-aws-console-'));
  try {
    const save = async (link) => {
      const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: link }).click()]);
      await file.saveAs(join(dir, file.suggestedFilename()));
      return file.suggestedFilename();
    };
    await save('Download the public key');
    const token = await save('Download the import token');
    const commands = await page.locator('#openssl-commands').textContent();
    assert.match(commands, /openssl enc -id-aes256-wrap-pad -K .* -iv A65959A6/);
    // The page's lines, except that our material replaces the fresh one it would make.
    const lines = commands.replace(/ \\\n\s*/g, ' ').split('\n').filter((l) => !l.startsWith('openssl rand -out KeyMaterial.bin'));
    execFileSync('/bin/sh', ['-c', `cat > KeyMaterial.bin; ${lines.join(' && ')}`], { cwd: dir, input: material });
    await page.getByLabel('Wrapped key material').setInputFiles(join(dir, 'EncryptedKeyMaterial_base64.txt'));
    await page.getByLabel('Import token: token_').setInputFiles(join(dir, token));
    await page.getByRole('button', { name: 'Upload and import' }).click();
    await page.getByText(`Imported. Key ${keyId} is Enabled`).waitFor();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal((await aws.describeKey(keyId)).KeyState, 'Enabled');
  assert.deepEqual(seen.blocked, []);
  assert.deepEqual(seen.problems.filter((p) => !/status of 400/.test(p)), []);
  await context.close();
});


test("the README's AwsKmsClient example runs as written, against this server", () => {
  const blocks = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  const example = blocks.find((block) => block.includes('new AwsKmsClient'));
  assert.ok(example, 'the README has an AwsKmsClient example');
  // An application directory with byok-wrap as the built package.
  mkdirSync(join(ROOT, 'build'), { recursive: true });
  const app = mkdtempSync(join(ROOT, 'build', 'readme-aws-client-'));
  try {
    mkdirSync(join(app, 'node_modules'));
    symlinkSync(join(ROOT, 'pkg'), join(app, 'node_modules', 'byok-wrap'), 'dir');
    const file = join(app, 'example.mjs');
    const configured = example.replace("'http://127.0.0.1:8080'", `'${h.kms.origin}'`);
    assert.notEqual(configured, example);
    writeFileSync(file, configured);
    const out = execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8', env: { ...process.env,
      BYOK_KMS_AWS_ACCESS_KEY_ID: h.kms.awsAccessKeyId, BYOK_KMS_AWS_SECRET_ACCESS_KEY: h.kms.awsSecretAccessKey } });
    assert.match(out, /^Enabled: [0-9a-f]{64} then [0-9a-f]{64}\n$/);
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});
