// @alicloud/kms20160120 1.2.0 (on @alicloud/rpc-client 1.3.2: HMAC-SHA1 RPC signatures) against a
// real byok-kms serve. Its typed methods always POST, every parameter in the query string, and
// send a map parameter flattened: EncryptionContext {purpose: 'backup'} goes as
// `EncryptionContext.purpose=backup`. GET goes through the same client's doRequest, which the
// typed methods call with 'POST'.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';

import { PLAINTEXT, decrypt, importFlow, refused } from './flow.mjs';
import { queryOf, recordingProxy, startServer, writeWire } from './kms_server.mjs';

const require = createRequire(import.meta.url);
const Kms = require('@alicloud/kms20160120');
// The copies the client itself uses.
const fromClient = createRequire(require.resolve('@alicloud/kms20160120'));
const { Config } = fromClient('@alicloud/rpc-client');
const $tea = fromClient('@alicloud/tea-typescript');
const { RuntimeOptions } = fromClient('@alicloud/tea-util');

const lowerFirst = (name) => name[0].toLowerCase() + name.slice(1);

function kmsClient(server, method, { secret = server.secret, endpoint = server.endpoint } = {}) {
  const client = new Kms.default(new Config({ accessKeyId: server.accessKeyId,
    accessKeySecret: secret, endpoint, protocol: 'http', regionId: 'cn-hangzhou' }));
  return {
    client,
    async call(action, params) {
      if (method === 'GET') {
        return client.doRequest(action, 'HTTPS', 'GET', '2016-01-20', 'AK', params, null,
          new RuntimeOptions({}));
      }
      const request = new Kms[`${action}Request`](Object.fromEntries(
        Object.entries(params).map(([name, value]) => [lowerFirst(name), value])));
      return $tea.toMap(await client[lowerFirst(action)](request));
    },
    surfaced: (code) => `${code}Error`,
    withSecret: (other) => kmsClient(server, method, { secret: other, endpoint }),
  };
}

let server;
before(async () => { server = await startServer('byok-node-kms20160120-'); });
after(async () => { await server?.stop(); });

test('the import flow over POST (typed methods)', async (t) => {
  await importFlow(t, server, kmsClient(server, 'POST'),
    { label: 'kms20160120 POST', first: 'RSAES_OAEP_SHA_256', second: 'RSAES_OAEP_SHA_1' });
});

test('the import flow over GET (doRequest)', async (t) => {
  await importFlow(t, server, kmsClient(server, 'GET'),
    { label: 'kms20160120 GET', first: 'RSAES_OAEP_SHA_1', second: 'RSAES_OAEP_SHA_256' });
});

for (const method of ['POST', 'GET']) {
  test(`a flattened EncryptionContext is the same context as its JSON form (${method})`, async () => {
    const client = kmsClient(server, method);
    // The JSON form, as the API documents it; doRequest sends a string parameter as it is.
    const json = { call: (action, params) => client.client.doRequest(action, 'HTTPS', method,
      '2016-01-20', 'AK', { ...params, EncryptionContext: JSON.stringify(params.EncryptionContext) },
      null, new RuntimeOptions({})) };
    const keyId = (await client.call('CreateKey', {})).KeyMetadata.KeyId;
    const context = { purpose: 'backup', method };
    const flattened = (await client.call('Encrypt', { KeyId: keyId, EncryptionContext: context,
      Plaintext: PLAINTEXT.toString('base64') })).CiphertextBlob;
    const fromJson = (await json.call('Encrypt', { KeyId: keyId, EncryptionContext: context,
      Plaintext: PLAINTEXT.toString('base64') })).CiphertextBlob;
    for (const blob of [flattened, fromJson]) {
      assert.deepEqual(await decrypt(client, blob, context), PLAINTEXT);
      assert.deepEqual(Buffer.from((await json.call('Decrypt',
        { CiphertextBlob: blob, EncryptionContext: context })).Plaintext, 'base64'), PLAINTEXT);
      await refused(client, 'InvalidCiphertext', 'Decrypt',
        { CiphertextBlob: blob, EncryptionContext: { purpose: 'other', method } });
      await refused(client, 'InvalidCiphertext', 'Decrypt', { CiphertextBlob: blob });
    }
  });

  test(`an unknown parameter that extends a known one (KeyId.1) is refused (${method})`, async () => {
    const client = kmsClient(server, method);
    const keyId = (await client.call('CreateKey', {})).KeyMetadata.KeyId;
    const raw = { call: (action, params) => client.client.doRequest(action, 'HTTPS', method,
      '2016-01-20', 'AK', params, null, new RuntimeOptions({})), surfaced: client.surfaced };
    await refused(raw, 'InvalidParameter', 'DescribeKey', { KeyId: keyId, 'KeyId.1': 'x' });
  });
}

test('what it sends on the wire', async () => {
  const proxy = await recordingProxy(server.port);
  try {
    for (const method of ['POST', 'GET']) {
      const client = kmsClient(server, method, { endpoint: proxy.endpoint });
      await client.call('Encrypt', { KeyId: 'alias/none', Plaintext: 'aGk=',
        EncryptionContext: { purpose: 'backup' } }).catch(() => {});
    }
  } finally {
    await proxy.close();
  }
  writeWire('kms20160120', proxy.requests);
  assert.deepEqual(proxy.requests.map((r) => r.method), ['POST', 'GET']);
  for (const sent of proxy.requests) {
    const query = queryOf(sent);
    assert.equal(query.Action, 'Encrypt');
    assert.equal(query['EncryptionContext.purpose'], 'backup', 'the context goes flattened');
    assert.equal(query.EncryptionContext, undefined);
    assert.equal(query.SignatureMethod, 'HMAC-SHA1');
    assert.ok(query.Signature);
    assert.equal(sent.body, '', 'no body: every parameter is in the query');
  }
});
