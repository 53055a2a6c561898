// @alicloud/openapi-client 0.4.15 used generically (callApi with style 'RPC'), against a real
// byok-kms serve: ACS3-HMAC-SHA256 (its default) and HMAC-SHA1 (signatureAlgorithm 'v2'), each over
// POST (parameters in a form body) and GET (parameters in the query string: callApi sends
// request.query in the URL and no body). EncryptionContext goes as the JSON text the API
// documents.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';

import { asStrings, importFlow } from './flow.mjs';
import { queryOf, recordingProxy, startServer, writeWire } from './kms_server.mjs';

const require = createRequire(import.meta.url);
const OpenApi = require('@alicloud/openapi-client');
const fromClient = createRequire(require.resolve('@alicloud/openapi-client'));
const { RuntimeOptions } = fromClient('@alicloud/tea-util');

const SIGNATURES = { 'ACS3-HMAC-SHA256': undefined, 'HMAC-SHA1 (v2)': 'v2' };

function openApiClient(server, method, signatureAlgorithm,
  { secret = server.secret, endpoint = server.endpoint } = {}) {
  const client = new OpenApi.default(new OpenApi.Config({ accessKeyId: server.accessKeyId,
    accessKeySecret: secret, endpoint, protocol: 'http', regionId: 'cn-hangzhou',
    signatureAlgorithm }));
  return {
    async call(action, params) {
      const api = new OpenApi.Params({ action, version: '2016-01-20', protocol: 'HTTP',
        pathname: '/', method, authType: 'AK', style: 'RPC', reqBodyType: 'formData',
        bodyType: 'json' });
      const request = new OpenApi.OpenApiRequest(method === 'GET'
        ? { query: asStrings(params) } : { body: asStrings(params) });
      return (await client.callApi(api, request, new RuntimeOptions({}))).body;
    },
    surfaced: (code) => code,
    withSecret: (other) => openApiClient(server, method, signatureAlgorithm,
      { secret: other, endpoint }),
  };
}

let server;
before(async () => { server = await startServer('byok-node-openapi-'); });
after(async () => { await server?.stop(); });

for (const [signature, algorithm] of Object.entries(SIGNATURES)) {
  for (const [method, first, second] of [['POST', 'RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1'],
    ['GET', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256']]) {
    test(`the import flow, ${signature} over ${method}`, async (t) => {
      await importFlow(t, server, openApiClient(server, method, algorithm),
        { label: `openapi-client ${signature} ${method}`, first, second });
    });
  }
}

test('what it sends on the wire', async () => {
  const proxy = await recordingProxy(server.port);
  try {
    for (const algorithm of Object.values(SIGNATURES)) {
      for (const method of ['POST', 'GET']) {
        await openApiClient(server, method, algorithm, { endpoint: proxy.endpoint })
          .call('Encrypt', { KeyId: 'alias/none', Plaintext: 'aGk=',
            EncryptionContext: { purpose: 'backup' } }).catch(() => {});
      }
    }
  } finally {
    await proxy.close();
  }
  writeWire('openapi-client', proxy.requests);
  assert.deepEqual(proxy.requests.map((r) => r.method), ['POST', 'GET', 'POST', 'GET']);
  const [acs3Post, acs3Get, v2Post, v2Get] = proxy.requests;
  const header = (r, name) => r.headers.find(([n]) => n.toLowerCase() === name)?.[1];
  for (const get of [acs3Get, v2Get]) {
    assert.equal(get.body, '');
    assert.equal(queryOf(get).EncryptionContext, '{"purpose":"backup"}');
  }
  for (const post of [acs3Post, v2Post]) {
    assert.match(post.body, /EncryptionContext=%7B%22purpose%22%3A%22backup%22%7D/);
  }
  for (const acs3 of [acs3Post, acs3Get]) {
    assert.match(header(acs3, 'authorization'), /^ACS3-HMAC-SHA256 Credential=/);
    assert.equal(header(acs3, 'x-acs-action'), 'Encrypt');
  }
  for (const v2 of [v2Post, v2Get]) {
    assert.equal(header(v2, 'authorization'), undefined);
    assert.equal(queryOf(v2).SignatureMethod, 'HMAC-SHA1');
    assert.equal(queryOf(v2).Action, 'Encrypt');
  }
});
