// The AWS SDK for JavaScript v3 (@aws-sdk/client-kms, pinned in package.json), unchanged, against
// a real byok-kms serve: the whole import flow with material made and wrapped by the byok-wrap
// npm package (pkg/, `make pkg`: wrapForImport in wasm, wrapForImportAsync with WebCrypto) and by
// AWS's openssl recipe, and every refusal the SDK raises as its own exception class, with the
// key's state unchanged after it. byok-wrap takes AWS's algorithm names as they are.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  CreateKeyCommand, DecryptCommand, DeleteImportedKeyMaterialCommand, DescribeKeyCommand,
  EncryptCommand, GetParametersForImportCommand, ImportKeyMaterialCommand,
  IncorrectKeyMaterialException, InvalidImportTokenException, KMSClient, KMSInvalidStateException,
  KMSServiceException, NotFoundException,
} from '@aws-sdk/client-kms';

import { awsOpensslWrap, startServer } from './kms_server.mjs';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const byok = await import(join(ROOT, 'pkg/node.js'));
await byok.default();

const DAY = 86_400_000;
const PLAINTEXT = new TextEncoder().encode('hello from @aws-sdk/client-kms');

// EncryptedKeyMaterial's bytes for `material` under the DER `publicKey`, by each wrapper.
const WRAPPERS = {
  'byok-wrap': (publicKey, algorithm, material) => Buffer.from(byok.wrapForImport(
    { publicKey, algorithm, material, keySpec: 'SYMMETRIC_DEFAULT' }), 'base64'),
  'byok-wrap WebCrypto': async (publicKey, algorithm, material) => Buffer.from(
    await byok.wrapForImportAsync({ publicKey, algorithm, material, keySpec: 'SYMMETRIC_DEFAULT' }),
    'base64'),
  openssl: (publicKey, algorithm, material, cwd) => awsOpensslWrap(publicKey, algorithm, material, cwd),
};

// Each flow: the wrapper, then [algorithm, wrapping key spec] of the first import (expiring) and
// of the re-import (never expiring).
const FLOWS = [
  ['byok-wrap', ['RSAES_OAEP_SHA_256', 'RSA_2048'], ['RSA_AES_KEY_WRAP_SHA_256', 'RSA_4096']],
  ['byok-wrap WebCrypto', ['RSA_AES_KEY_WRAP_SHA_1', 'RSA_3072'], ['RSAES_OAEP_SHA_1', 'RSA_2048']],
  ['openssl', ['RSA_AES_KEY_WRAP_SHA_256', 'RSA_2048'], ['RSAES_OAEP_SHA_256', 'RSA_4096']],
];

let server;
let kms;
before(async () => {
  server = await startServer('byok-node-aws-sdk-');
  // The setup the README shows.
  kms = new KMSClient({
    endpoint: `http://${server.endpoint}`,
    region: 'us-east-1',
    credentials: { accessKeyId: server.awsAccessKeyId, secretAccessKey: server.awsSecretAccessKey },
    maxAttempts: 1,
  });
});
after(async () => {
  kms?.destroy();
  await server?.stop();
});

const send = (Command, input) => kms.send(new Command(input));
const describe = async (KeyId) => (await send(DescribeKeyCommand, { KeyId })).KeyMetadata;

/** GetParametersForImport, then ImportKeyMaterial's input for `material`, wrapped by `wrapper`. */
async function wrapped(keyId, wrapper, [algorithm, spec], material, cwd) {
  const params = await send(GetParametersForImportCommand,
    { KeyId: keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: spec });
  assert.ok(params.PublicKey instanceof Uint8Array && params.ImportToken instanceof Uint8Array);
  assert.ok(params.ParametersValidTo instanceof Date && params.ParametersValidTo > new Date());
  const bits = { RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 }[spec];
  // RSA-OAEP output is as long as the modulus; AES-KWP of 32 bytes adds 40.
  const encrypted = await WRAPPERS[wrapper](params.PublicKey, algorithm, material, cwd);
  assert.equal(encrypted.length, bits / 8 + (algorithm.startsWith('RSA_AES') ? 40 : 0));
  return { KeyId: keyId, ImportToken: params.ImportToken, EncryptedKeyMaterial: encrypted };
}

/**
 * Asserts that `promise` rejects with the SDK's exception class `Type` (a name, for an error the
 * KMS service model does not declare, such as ValidationException: the SDK then raises its
 * KMSServiceException named after the reply's `__type`).
 */
async function refusedWith(promise, Type) {
  const name = typeof Type === 'string' ? Type : Type.name;
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof KMSServiceException, `${error.name}: ${error.message}`);
    if (typeof Type !== 'string') assert.ok(error instanceof Type, `${error.name}: ${error.message}`);
    assert.equal(error.name, name, error.message);
    assert.equal(error.$fault, 'client');
    assert.equal(error.$metadata.httpStatusCode, 400);
    assert.ok(error.$metadata.requestId, 'x-amzn-RequestId read by the SDK');
    return true;
  });
}

for (const [wrapper, first, second] of FLOWS) {
  test(`the import flow, wrapped by ${wrapper}: ${first.join('/')}, then ${second.join('/')}`, async () => {
    const cwd = mkdtempSync(join(server.work, 'aws-sdk-'));
    const key = (await send(CreateKeyCommand, { Origin: 'EXTERNAL', Description: `client-kms ${wrapper}` })).KeyMetadata;
    assert.deepEqual([key.KeyState, key.Origin, key.Enabled, key.KeySpec],
      ['PendingImport', 'EXTERNAL', false, 'SYMMETRIC_DEFAULT']);
    assert.ok(key.CreationDate instanceof Date);
    const material = byok.generateKeyMaterial('SYMMETRIC_DEFAULT');
    assert.equal(material.length, 32);

    const validTo = new Date(Math.floor((Date.now() + 30 * DAY) / 1000) * 1000);
    const imported = await send(ImportKeyMaterialCommand, { ...await wrapped(key.KeyId, wrapper, first, material, cwd),
      ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: validTo });
    assert.equal(imported.KeyId, key.Arn);
    assert.match(imported.KeyMaterialId, /^[0-9a-f]{64}$/);
    let described = await describe(key.KeyId);
    assert.deepEqual([described.KeyState, described.Enabled, described.ExpirationModel],
      ['Enabled', true, 'KEY_MATERIAL_EXPIRES']);
    assert.equal(described.ValidTo.getTime(), validTo.getTime());

    const context = { purpose: 'test' };
    const { CiphertextBlob } = await send(EncryptCommand, { KeyId: key.KeyId, Plaintext: PLAINTEXT, EncryptionContext: context });
    const decrypted = await send(DecryptCommand, { CiphertextBlob, EncryptionContext: context });
    assert.deepEqual(Buffer.from(decrypted.Plaintext), Buffer.from(PLAINTEXT));
    assert.equal(decrypted.KeyId, key.Arn);

    const deleted = await send(DeleteImportedKeyMaterialCommand, { KeyId: key.KeyId });
    assert.equal(deleted.KeyMaterialId, imported.KeyMaterialId);
    assert.equal((await describe(key.KeyId)).KeyState, 'PendingImport');

    const other = byok.generateKeyMaterial('SYMMETRIC_DEFAULT');
    await refusedWith(send(ImportKeyMaterialCommand, { ...await wrapped(key.KeyId, wrapper, second, other, cwd),
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }), IncorrectKeyMaterialException);
    assert.equal((await describe(key.KeyId)).KeyState, 'PendingImport');

    const again = await send(ImportKeyMaterialCommand, { ...await wrapped(key.KeyId, wrapper, second, material, cwd),
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    assert.equal(again.KeyMaterialId, imported.KeyMaterialId);
    described = await describe(key.KeyId);
    assert.deepEqual([described.KeyState, described.ExpirationModel], ['Enabled', 'KEY_MATERIAL_DOES_NOT_EXPIRE']);
    assert.equal(described.ValidTo, undefined);
    const old = await send(DecryptCommand, { KeyId: key.KeyId, CiphertextBlob, EncryptionContext: context });
    assert.deepEqual(Buffer.from(old.Plaintext), Buffer.from(PLAINTEXT));
  });
}

test('every refusal is its own exception class, and leaves the key as it was', async () => {
  const cwd = mkdtempSync(join(server.work, 'aws-sdk-refusals-'));
  const create = async () => (await send(CreateKeyCommand, { Origin: 'EXTERNAL' })).KeyMetadata.KeyId;
  const keyId = await create();
  const otherKeyId = await create();
  const material = byok.generateKeyMaterial('SYMMETRIC_DEFAULT');
  const algorithm = ['RSAES_OAEP_SHA_256', 'RSA_2048'];
  const state = async () => {
    const m = await describe(keyId);
    return [m.KeyState, m.Enabled, m.ExpirationModel];
  };
  const pending = ['PendingImport', false, undefined];

  await refusedWith(send(EncryptCommand, { KeyId: keyId, Plaintext: PLAINTEXT }), KMSInvalidStateException);
  assert.deepEqual(await state(), pending);

  // The import token and public key of another key.
  await refusedWith(send(ImportKeyMaterialCommand, { ...await wrapped(otherKeyId, 'byok-wrap', algorithm, material, cwd),
    KeyId: keyId, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }), InvalidImportTokenException);
  assert.deepEqual(await state(), pending);

  await refusedWith(send(ImportKeyMaterialCommand, { ...await wrapped(keyId, 'byok-wrap', algorithm, material, cwd),
    ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: new Date(Date.now() + 366 * DAY) }), 'ValidationException');
  assert.deepEqual(await state(), pending);

  await refusedWith(describe('00000000-0000-0000-0000-000000000000'), NotFoundException);
  await refusedWith(send(ImportKeyMaterialCommand, { ...await wrapped(keyId, 'byok-wrap', algorithm, material, cwd),
    KeyId: '00000000-0000-0000-0000-000000000000', ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }), NotFoundException);
  assert.deepEqual(await state(), pending);

  // After all that, the same token kind still imports: nothing was used up by the refusals.
  await send(ImportKeyMaterialCommand, { ...await wrapped(keyId, 'byok-wrap', algorithm, material, cwd),
    ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
  assert.deepEqual(await state(), ['Enabled', true, 'KEY_MATERIAL_DOES_NOT_EXPIRE']);
});

test("the README's example runs as written, against this server", () => {
  const blocks = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  const example = blocks.find((block) => block.includes("from '@aws-sdk/client-kms'"));
  assert.ok(example, 'the README has an @aws-sdk/client-kms example');
  // An application directory inside the checkout: @aws-sdk/client-kms from its node_modules,
  // byok-wrap as the built package.
  mkdirSync(join(ROOT, 'build'), { recursive: true });
  const app = mkdtempSync(join(ROOT, 'build', 'readme-aws-sdk-'));
  try {
    mkdirSync(join(app, 'node_modules'));
    symlinkSync(join(ROOT, 'pkg'), join(app, 'node_modules', 'byok-wrap'), 'dir');
    const file = join(app, 'example.mjs');
    writeFileSync(file, example.replace("'http://127.0.0.1:8080'", `'http://${server.endpoint}'`));
    const out = execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8', env: { ...process.env,
      BYOK_KMS_AWS_ACCESS_KEY_ID: server.awsAccessKeyId, BYOK_KMS_AWS_SECRET_ACCESS_KEY: server.awsSecretAccessKey } });
    assert.equal(out, 'Enabled\n');
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});
