// @alicloud/pop-core 1.8.0 (RPCClient, HMAC-SHA1) against a real byok-kms serve: over GET (its
// default: every parameter and the signature in the query string) and POST (`{method: 'POST'}`:
// the same parameters as a form body). It does not flatten objects, so EncryptionContext goes as
// the JSON text the API documents.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';

import { asStrings, importFlow } from './flow.mjs';
import { queryOf, recordingProxy, startServer, writeWire } from './kms_server.mjs';

const require = createRequire(import.meta.url);
const { RPCClient } = require('@alicloud/pop-core');

function popClient(server, method, { secret = server.secret, endpoint = server.endpoint } = {}) {
  return {
    async call(action, params) {
      const client = new RPCClient({ accessKeyId: server.accessKeyId, accessKeySecret: secret,
        endpoint: `http://${endpoint}`, apiVersion: '2016-01-20' });
      try {
        return await client.request(action, asStrings(params), method === 'POST' ? { method } : {});
      } finally {
        client.keepAliveAgent.destroy(); // (its keep-alive socket would outlive the test)
      }
    },
    surfaced: (code) => code,
    withSecret: (other) => popClient(server, method, { secret: other, endpoint }),
  };
}

let server;
before(async () => { server = await startServer('byok-node-pop-core-'); });
after(async () => { await server?.stop(); });

test('the import flow over GET (its default)', async (t) => {
  await importFlow(t, server, popClient(server, 'GET'),
    { label: 'pop-core GET', first: 'RSAES_OAEP_SHA_256', second: 'RSAES_OAEP_SHA_1' });
});

test('the import flow over POST', async (t) => {
  await importFlow(t, server, popClient(server, 'POST'),
    { label: 'pop-core POST', first: 'RSAES_OAEP_SHA_1', second: 'RSAES_OAEP_SHA_256' });
});

test('a GET without API parameters is not an API call', async () => {
  // (There is no console in this test's --www-dir, so no page either; the point is that a plain
  // GET / is not answered as an unsigned API request.)
  const reply = await fetch(`http://${server.endpoint}/`);
  const text = await reply.text();
  assert.doesNotMatch(reply.headers.get('content-type') ?? '', /json/, text);
});

test('what it sends on the wire', async () => {
  const proxy = await recordingProxy(server.port);
  try {
    for (const method of ['GET', 'POST']) {
      await popClient(server, method, { endpoint: proxy.endpoint }).call('Encrypt',
        { KeyId: 'alias/none', Plaintext: 'aGk=', EncryptionContext: { purpose: 'backup' } })
        .catch(() => {});
    }
  } finally {
    await proxy.close();
  }
  writeWire('pop-core', proxy.requests);
  assert.deepEqual(proxy.requests.map((r) => r.method), ['GET', 'POST']);
  const [get, post] = proxy.requests;
  assert.equal(queryOf(get).Action, 'Encrypt');
  assert.equal(queryOf(get).EncryptionContext, '{"purpose":"backup"}');
  assert.ok(queryOf(get).Signature);
  assert.equal(get.body, '');
  assert.equal(post.target, '/');
  assert.match(post.body, /(^|&)Action=Encrypt(&|$)/);
  assert.match(post.body, /(^|&)Signature=/);
});
