// rotateImportedKey, the packaged function, in Node against a real `byok-kms serve`: the guide's
// rotation of an imported key (a new EXTERNAL key, new material, the alias moved) in one call;
// the old key keeps decrypting what it encrypted; every refusal before the new key exists creates
// nothing; a failure after it leaves the alias where it was and the new key scheduled for
// deletion, and says which step failed. Needs `make pkg` and `cargo build -p byok-kms`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ROOT, parseBlob, startKms } from '../kms.mjs';

let kms;
let lib;
let client;

before(async () => {
  kms = await startKms();
  lib = await import(join(ROOT, 'pkg/node.js'));
  await lib.default();
  client = new lib.KmsClient({ endpoint: kms.origin, accessKeyId: kms.accessKeyId, accessKeySecret: kms.accessKeySecret });
});

after(async () => {
  client?.free();
  await kms?.stop();
});

/** An EXTERNAL key with imported material, named by `alias`. */
async function importedKey(alias) {
  const key = await client.createKey({ description: 'before rotation' });
  await lib.importKeyMaterial(client, { keyId: key.KeyId, material: lib.generateKeyMaterial('Aliyun_AES_256') });
  await client.call('CreateAlias', { AliasName: alias, KeyId: key.KeyId });
  return key.KeyId;
}

const encrypt = async (keyId) => (await client.call('Encrypt', { KeyId: keyId, Plaintext: Buffer.from('old data').toString('base64') })).CiphertextBlob;
const decrypt = async (blob) => Buffer.from((await client.call('Decrypt', { CiphertextBlob: blob })).Plaintext, 'base64').toString();
const keyCount = async () => (await client.listKeys({ pageSize: 100 })).TotalCount;

test('the alias moves to a new key with the new material; the old key still decrypts old data', async () => {
  const oldKeyId = await importedKey('alias/rotate-me');
  const oldBlob = await encrypt('alias/rotate-me');
  const steps = [];
  const rotation = await lib.rotateImportedKey(client, {
    alias: 'alias/rotate-me',
    material: lib.generateKeyMaterial('Aliyun_AES_256'),
    onStep: (s) => steps.push(`${s.step}:${s.status}`),
  });
  assert.equal(rotation.alias, 'alias/rotate-me');
  assert.equal(rotation.oldKeyId, oldKeyId);
  assert.notEqual(rotation.newKeyId, oldKeyId);
  assert.equal(rotation.key.KeyState, 'Enabled');
  assert.deepEqual(steps.filter((s) => s.endsWith(':done')).map((s) => s.split(':')[0]),
    ['checkAlias', 'createKey', 'checkKey', 'getParameters', 'wrap', 'upload', 'verify', 'updateAlias']);

  const now = await client.describeKey('alias/rotate-me');
  assert.equal(now.KeyId, rotation.newKeyId);
  assert.equal(now.Origin, 'EXTERNAL');
  assert.equal(now.KeySpec, 'Aliyun_AES_256');
  assert.equal(now.Description, `alias/rotate-me: rotated from ${oldKeyId}`);
  assert.equal((await client.describeKey(oldKeyId)).KeyState, 'Enabled');
  assert.equal(await decrypt(oldBlob), 'old data');
  const newBlob = await encrypt('alias/rotate-me');
  assert.equal(await decrypt(newBlob), 'old data');
  assert.equal(parseBlob(newBlob).keyId, rotation.newKeyId);
  assert.equal(parseBlob(oldBlob).keyId, oldKeyId);
});

test('refusals before the new key exists create nothing', async () => {
  await importedKey('alias/not-yet');
  const before = await keyCount();
  const refused = async (options, code, words) => {
    await assert.rejects(lib.rotateImportedKey(client, options), (e) => {
      assert.ok(lib.isByokError(e), String(e));
      assert.equal(e.code, code, e.message);
      assert.match(e.message, words);
      return true;
    });
  };
  const material = lib.generateKeyMaterial('Aliyun_AES_256');
  await refused({ alias: 'alias/not-yet', material: randomBytes(16) }, 'MaterialLength', /32/);
  await refused({ alias: 'not-an-alias', material }, 'InvalidArgument', /alias name/);
  await refused({ alias: 'alias/not-yet', keyId: 'x', material }, 'InvalidArgument', /not keyId/);
  await refused({ alias: 'alias/not-yet', material, algorithm: 'ROT13' }, 'UnknownAlgorithm', /ROT13/);
  await refused({ alias: 'alias/not-yet' }, 'InvalidArgument', /material/);
  await refused({ alias: 'alias/absent', material }, 'Forbidden.AliasNotFound', /alias/);
  // A key whose material the KMS made is rotated by the KMS, not by import.
  const made = await client.createKey({ origin: 'Aliyun_KMS' });
  await client.call('CreateAlias', { AliasName: 'alias/kms-made', KeyId: made.KeyId });
  await refused({ alias: 'alias/kms-made', material }, 'InvalidArgument', /EXTERNAL/);
  assert.equal(await keyCount(), before + 1);
});

test('a failure after the new key exists leaves the alias where it was and says which step failed', async () => {
  const oldKeyId = await importedKey('alias/stays');
  // The KMS refuses the expiry (in the past) at the upload: after CreateKey, before UpdateAlias.
  const error = await lib.rotateImportedKey(client, {
    alias: 'alias/stays',
    material: lib.generateKeyMaterial('Aliyun_AES_256'),
    expiresAt: 1,
  }).then(() => assert.fail('the rotation succeeded'), (e) => e);
  assert.ok(lib.isByokError(error), String(error));
  assert.equal(error.code, 'InvalidParameter', error.message);
  assert.equal(error.step, 'upload');
  assert.equal(error.oldKeyId, oldKeyId);
  assert.match(error.message, /stopped at upload/);
  assert.match(error.message, new RegExp(`alias/stays still points at ${oldKeyId}`));
  assert.match(error.message, /scheduled for deletion/);
  assert.equal((await client.describeKey('alias/stays')).KeyId, oldKeyId);
  assert.equal((await client.describeKey(error.newKeyId)).KeyState, 'PendingDeletion');
});
