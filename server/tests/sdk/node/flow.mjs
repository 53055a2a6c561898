// The import flow of server/tests/sdk/test_official_sdk.py, for any client. A client is an
// adapter:
//   call(action, params)   sends one API call and resolves to the reply's JSON (wire names);
//                          params use wire names, EncryptionContext is an object, and the
//                          adapter sends them the way its client does;
//   surfaced(code)         the error code as the client reports it in `error.code`;
//   withSecret(secret)     the same client with another AccessKeySecret.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';

import { newMaterial, wrapMaterial } from './kms_server.mjs';

export const PLAINTEXT = Buffer.from('hello from a Node client');

/** Asserts that the call is refused with `code`, as the client surfaces it. */
export async function refused(client, code, action, params = {}) {
  await assert.rejects(client.call(action, params), (error) => {
    assert.equal(error.code, client.surfaced(code), error.message);
    return true;
  }, `${action} should be refused with ${code}`);
}

export async function keyState(client, keyId) {
  return (await client.call('DescribeKey', { KeyId: keyId })).KeyMetadata.KeyState;
}

export async function decrypt(client, blob, context) {
  const params = { CiphertextBlob: blob };
  if (context) params.EncryptionContext = context;
  return Buffer.from((await client.call('Decrypt', params)).Plaintext, 'base64');
}

/** GetParametersForImport and the guide's openssl commands: ImportKeyMaterial's parameters. */
async function wrap(client, keyId, algorithm, cwd) {
  const params = await client.call('GetParametersForImport',
    { KeyId: keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: 'RSA_2048' });
  assert.ok(params.PublicKey.startsWith('MIIBIjAN'), params.PublicKey);
  return { KeyId: keyId, ImportToken: params.ImportToken,
    EncryptedKeyMaterial: wrapMaterial(params.PublicKey, algorithm, cwd) };
}

/**
 * CreateKey (EXTERNAL), import with `first`, Encrypt/Decrypt with an EncryptionContext (another
 * context or none is refused), GenerateDataKey, an alias, DeleteKeyMaterial, re-import of the same
 * material with `second`, different material refused, a wrong secret refused, ScheduleKeyDeletion.
 */
export async function importFlow(t, server, client, { label, first, second }) {
  const cwd = mkdtempSync(join(server.work, 'flow-'));
  const key = (await client.call('CreateKey', { Origin: 'EXTERNAL', KeySpec: 'Aliyun_AES_256',
    Description: `${label} test` })).KeyMetadata;
  const keyId = key.KeyId;
  assert.deepEqual([key.KeyState, key.Origin], ['PendingImport', 'EXTERNAL']);
  assert.equal(await keyState(client, keyId), 'PendingImport');

  newMaterial(cwd);
  await client.call('ImportKeyMaterial', await wrap(client, keyId, first, cwd));
  assert.equal(await keyState(client, keyId), 'Enabled');

  const context = { purpose: 'backup', client: label };
  const blob = (await client.call('Encrypt', { KeyId: keyId, EncryptionContext: context,
    Plaintext: PLAINTEXT.toString('base64') })).CiphertextBlob;
  assert.deepEqual(await decrypt(client, blob, context), PLAINTEXT);
  // (A subtest, so that the rest of the flow still runs when only this fails.)
  await t.test('Decrypt with another EncryptionContext, or none, is refused', async () => {
    await refused(client, 'InvalidCiphertext', 'Decrypt',
      { CiphertextBlob: blob, EncryptionContext: { purpose: 'other', client: label } });
    await refused(client, 'InvalidCiphertext', 'Decrypt', { CiphertextBlob: blob });
  });

  const dataKey = await client.call('GenerateDataKey', { KeyId: keyId, EncryptionContext: context });
  assert.equal(Buffer.from(dataKey.Plaintext, 'base64').length, 32);
  assert.deepEqual(await decrypt(client, dataKey.CiphertextBlob, context),
    Buffer.from(dataKey.Plaintext, 'base64'));

  const alias = `alias/${label.replace(/[^A-Za-z0-9]+/g, '-')}-${randomBytes(4).toString('hex')}`;
  await client.call('CreateAlias', { AliasName: alias, KeyId: keyId });
  assert.equal((await client.call('DescribeKey', { KeyId: alias })).KeyMetadata.KeyId, keyId);

  await client.call('DeleteKeyMaterial', { KeyId: keyId });
  assert.equal(await keyState(client, keyId), 'PendingImport');
  await refused(client, 'Rejected.PendingImport', 'Decrypt',
    { CiphertextBlob: blob, EncryptionContext: context });

  // The same material again, with a new token and public key (and the other algorithm).
  await client.call('ImportKeyMaterial', await wrap(client, keyId, second, cwd));
  assert.equal(await keyState(client, keyId), 'Enabled');
  assert.deepEqual(await decrypt(client, blob, context), PLAINTEXT);

  // Different material is refused, and the key keeps what it had.
  newMaterial(cwd);
  await refused(client, 'InvalidKeyMaterial', 'ImportKeyMaterial',
    await wrap(client, keyId, first, cwd));
  assert.equal(await keyState(client, keyId), 'Enabled');
  assert.deepEqual(await decrypt(client, blob, context), PLAINTEXT);

  await refused(client.withSecret('not-the-secret'), 'SignatureDoesNotMatch', 'DescribeKey',
    { KeyId: keyId });

  await client.call('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });
  assert.equal(await keyState(client, keyId), 'PendingDeletion');
}

/** Parameters as strings, EncryptionContext as the JSON text the API documents. */
export function asStrings(params) {
  return Object.fromEntries(Object.entries(params).map(([name, value]) =>
    [name, typeof value === 'object' ? JSON.stringify(value) : String(value)]));
}
