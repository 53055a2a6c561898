// The npm package as a user gets it: `npm pack` pkg/, install the tarball into an empty directory,
// import it from Node 20 (ESM), wrap in every format, and let Node's own crypto (OpenSSL) unwrap:
// RSA-OAEP, AES key wrap with padding (`id-aes256-wrap-pad`) and AES-256-ECB. Also: the errors as
// a web developer meets them, the wasm memory searched for secrets after every call, the READMEs'
// examples run and type-checked, and KmsClient / importKeyMaterial against a real byok-kms.
//
// Needs `make pkg` first (and `cargo build -p byok-kms` for the KMS tests); `make test` does that.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants, createCipheriv, createDecipheriv, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { aesNeedles, hmacNeedles, leaks, occurrences, rsaNeedles, sm4Needles } from '../browser/helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir;
let lib;

before(() => {
  assert.ok(existsSync(join(root, 'pkg/package.json')), 'run `make pkg` first');
  dir = mkdtempSync(join(tmpdir(), 'byok-wrap-npm-'));
  const tarball = execFileSync('npm', ['pack', join(root, 'pkg'), '--pack-destination', dir, '--silent'], {
    encoding: 'utf8',
  }).trim().split('\n').pop();
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(dir, tarball)], { cwd: dir, stdio: 'pipe' });
});

after(() => rmSync(dir, { recursive: true, force: true }));

// Imports the installed package the way a consumer's module would (a file inside `dir`).
async function load() {
  if (!lib) {
    const entry = join(dir, 'entry.mjs');
    writeFileSync(entry, "export * from 'byok-wrap'; export { default } from 'byok-wrap';\n");
    lib = await import(pathToFileURL(entry).href);
  }
  return lib;
}

/** The package loaded and its wasm memory (what `init` resolves to at run time; not in the types). */
async function loaded() {
  const m = await load();
  const exports = await m.default();
  return { m, memory: exports.memory };
}

const rsaPairs = new Map();
function rsaPair(modulusLength) {
  if (!rsaPairs.has(modulusLength)) {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength });
    rsaPairs.set(modulusLength, {
      privateKey,
      jwk: privateKey.export({ format: 'jwk' }),
      base64: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      pem: publicKey.export({ type: 'spki', format: 'pem' }),
      pkcs1Pem: publicKey.export({ type: 'pkcs1', format: 'pem' }),
      der: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    });
  }
  return rsaPairs.get(modulusLength);
}

/** Private keys to import, in the forms tools write them, with the PKCS#8 DER the clouds expect. */
function privateKeys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey;
  const pkcs8 = (key) => new Uint8Array(key.export({ type: 'pkcs8', format: 'der' }));
  return [
    { name: 'RSA-2048 PKCS#8 DER', input: pkcs8(rsa), pkcs8: pkcs8(rsa), rsa: true },
    { name: 'RSA-2048 PKCS#1 PEM', input: rsa.export({ type: 'pkcs1', format: 'pem' }), pkcs8: pkcs8(rsa), rsa: true },
    { name: 'P-256 SEC 1 PEM', input: p256.export({ type: 'sec1', format: 'pem' }), pkcs8: pkcs8(p256) },
    { name: 'P-384 PKCS#8 PEM', input: p384.export({ type: 'pkcs8', format: 'pem' }), pkcs8: pkcs8(p384) },
    { name: 'secp256k1 SEC 1 DER', input: new Uint8Array(k1.export({ type: 'sec1', format: 'der' })), pkcs8: pkcs8(k1) },
  ];
}

/** Node's crypto (OpenSSL) unwraps `wrapped` (base64) in the format of `rule`. */
function nodeUnwrap(pair, bits, rule, wrapped) {
  const bytes = Buffer.from(wrapped, 'base64');
  const oaepHash = rule.hash === 'SHA-1' ? 'sha1' : 'sha256';
  const rsa = (data) => privateDecrypt({ key: pair.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, data);
  if (rule.scheme === 'oaep') return new Uint8Array(rsa(bytes));
  const aesKey = rsa(bytes.subarray(0, bits / 8));
  assert.equal(aesKey.length, 32);
  const rest = bytes.subarray(bits / 8);
  const decipher = rule.scheme === 'oaep+kwp'
    ? createDecipheriv('id-aes256-wrap-pad', aesKey, Buffer.from('A65959A6', 'hex'))
    : createDecipheriv('aes-256-ecb', aesKey, null);
  return new Uint8Array(Buffer.concat([decipher.update(rest), decipher.final()]));
}

test('the tarball holds exactly the package files, and its manifest is complete', async () => {
  const installed = join(dir, 'node_modules/byok-wrap');
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  assert.equal(manifest.name, 'byok-wrap');
  assert.equal(manifest.type, 'module');
  assert.equal(manifest.types, './index.d.ts');
  assert.equal(manifest.sideEffects, false);
  assert.equal(manifest.license, 'Apache-2.0');
  assert.ok(!JSON.stringify(manifest).includes('example.invalid'), 'no placeholder address');
  assert.deepEqual(readdirSync(installed).sort(), [...manifest.files, 'package.json'].sort());
  assert.match(readFileSync(join(installed, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
  // `main` is a module Node can load, with the whole API.
  const main = await import(pathToFileURL(join(installed, manifest.main)).href);
  assert.equal(typeof main.wrapForImport, 'function');
  // No wasm-bindgen internals in the public types, and none exported.
  const dts = readFileSync(join(installed, 'index.d.ts'), 'utf8');
  assert.doesNotMatch(dts, /__wbindgen|InitOutput|raw[A-Z]/);
  assert.deepEqual(Object.keys(await load()).filter((k) => /^(raw|Raw|__)/.test(k)), []);
});

test('Node crypto unwraps every format the installed package wraps, sync and async', async () => {
  const { m } = await loaded();
  const keys = privateKeys();
  let checked = 0;
  for (const rule of m.importRules().algorithms) {
    if (rule.legacy) continue; // Node 20 refuses PKCS#1 v1.5 decryption (CVE-2023-46809); openssl checks it.
    for (const spec of rule.wrappingKeySpecs) {
      const bits = Number(spec.slice(4));
      const pair = rsaPair(bits);
      const inputs = [];
      if (rule.symmetric) inputs.push({ name: '32 bytes', material: m.generateKeyMaterial('SYMMETRIC_DEFAULT') });
      if (rule.symmetric && rule.scheme !== 'oaep') inputs.push({ name: 'HMAC_512', material: m.generateKeyMaterial('HMAC_512') });
      if (rule.privateKeys) {
        for (const key of keys) {
          if (rule.scheme === 'oaep' && key.rsa) continue; // too long for RSA alone (tested below)
          inputs.push({ name: key.name, privateKey: key.input, expected: key.pkcs8 });
        }
      }
      for (const [i, input] of inputs.entries()) {
        const publicKey = [pair.base64, pair.pem, pair.pkcs1Pem, pair.der][i % 4];
        const what = input.material ? { material: input.material } : { privateKey: input.privateKey };
        const expected = input.expected ?? input.material;
        const sync = m.wrapForImport({ ...what, publicKey, algorithm: rule.name });
        assert.deepEqual(nodeUnwrap(pair, bits, rule, sync), expected, `${rule.name} RSA-${bits} ${input.name}`);
        for (const webCrypto of [true, false]) {
          const again = await m.wrapForImportAsync({ ...what, publicKey, algorithm: rule.name, webCrypto });
          assert.deepEqual(nodeUnwrap(pair, bits, rule, again), expected, `${rule.name} async webCrypto=${webCrypto}`);
        }
        checked += 1;
      }
    }
  }
  assert.ok(checked >= 100, `${checked} inputs checked`);
  // The first API keeps working, with its default algorithm.
  const material = m.generateKeyMaterial();
  const wrapped = m.wrapKeyMaterial({ material, publicKey: rsaPair(2048).base64 });
  assert.deepEqual(nodeUnwrap(rsaPair(2048), 2048, { scheme: 'oaep', hash: 'SHA-256' }, wrapped), material);
});

test('init is idempotent and generated material has each key spec\'s length', async () => {
  const { m } = await loaded();
  await m.default();
  for (const spec of m.importRules().keySpecs.filter((s) => s.kind === 'symmetric')) {
    const a = m.generateKeyMaterial(spec.name);
    assert.ok(a instanceof Uint8Array);
    assert.equal(a.length, spec.minLength, spec.name);
    assert.notDeepEqual(a, m.generateKeyMaterial(spec.name));
  }
  assert.equal(m.generateKeyMaterial().length, 32);
  assert.ok(Object.isFrozen(m.importRules()) && m.importRules() === m.importRules());
});

test('key check values match Node crypto AES-ECB and SM4-ECB', async () => {
  const { m } = await loaded();
  for (const [spec, cipher] of [['AES_128', 'aes-128-ecb'], ['AES_192', 'aes-192-ecb'], ['AES_256', 'aes-256-ecb'], ['Aliyun_SM4', 'sm4-ecb']]) {
    const material = m.generateKeyMaterial(spec);
    const c = createCipheriv(cipher, material, null).setAutoPadding(false);
    const block = Buffer.concat([c.update(Buffer.alloc(16)), c.final()]);
    assert.equal(m.keyCheckValue(material, spec), block.subarray(0, 3).toString('hex').toUpperCase(), spec);
  }
});

test('errors are ByokError instances with a stable code, and async functions reject', async () => {
  const { m } = await loaded();
  const { base64 } = rsaPair(2048);
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
  const material = m.generateKeyMaterial();
  const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  const cases = [
    [() => m.wrapKeyMaterial({ material, publicKey: ec }), 'InvalidPublicKey', /EC public key on P-256/],
    [() => m.wrapKeyMaterial({ material, publicKey: small }), 'InvalidPublicKey', /RSA-1024/],
    [() => m.wrapKeyMaterial({ material, publicKey: base64, algorithm: 'RSAES_PKCS1_V1_5' }), 'LegacyAlgorithmRefused', /allowLegacyPkcs1/],
    [() => m.wrapKeyMaterial({ material, publicKey: base64, keySpec: 'Aliyun_AES_128' }), 'MaterialLength', /must be 16 bytes, got 32/],
    [() => m.wrapKeyMaterial({ material: Array.from(material), publicKey: base64 }), 'InvalidArgument', /Uint8Array/],
    [() => m.wrapKeyMaterial({ material, publicKey: base64, algoritm: 'RSAES_OAEP_SHA_1' }), 'InvalidArgument', /unknown option `algoritm`/],
    [() => m.wrapForImport({ material, publicKey: base64 }), 'InvalidArgument', /algorithm is required/],
    [() => m.wrapForImport({ material, publicKey: base64, algorithm: 'RSA_OAEP_4096_SHA256' }), 'WrappingKeyMismatch', /RSA_4096/],
    [() => m.wrapForImport({ privateKey: rsaKey, publicKey: base64, algorithm: 'RSAES_OAEP_SHA_256' }), 'MaterialLength', /RSA_AES_KEY_WRAP_SHA_256/],
    [() => m.wrapForImport({ privateKey: rsaKey, publicKey: base64, algorithm: 'RSA_AES_KEY_WRAP_SHA_256', keySpec: 'ECC_NIST_P256' }), 'KeySpecMismatch', /EC P-256/],
    [() => m.wrapForImport({ privateKey: rsaKey.slice(0, 200), publicKey: base64, algorithm: 'RSA_AES_KEY_WRAP_SHA_256' }), 'InvalidPrivateKey', /cut short/],
    [() => m.generateKeyMaterial('AES_512'), 'UnknownKeySpec', /AES_512/],
    [() => m.generateKeyMaterial(256), 'InvalidArgument', /keySpec must be a string/],
    [() => m.keyCheckValue(new Uint8Array(7)), 'MaterialLength', /got 7/],
    [() => new m.KmsClient({ endpoint: 'http://10.1.2.3', accessKeyId: 'a', accessKeySecret: 'b' }), 'InsecureEndpoint', /allowInsecureHttp/],
    [() => new m.KmsClient({ endpoint: 'https://kms.example.com', accessKeyId: 'a', accessKeySecret: 'b', region: 'x' }), 'InvalidArgument', /unknown option `region`/],
  ];
  for (const [call, code, message] of cases) {
    assert.throws(call, (error) => {
      assert.ok(error instanceof m.ByokError, `${code}: instanceof ByokError`);
      assert.ok(m.isByokError(error));
      assert.equal(error.name, 'ByokError');
      assert.equal(error.code, code);
      assert.match(error.message, message);
      return true;
    });
  }
  assert.ok(!m.isByokError(new Error('x')) && !m.isByokError('ByokError'));
  // Async functions reject, never throw: `.catch()` sees every refusal.
  for (const call of [() => m.wrapKeyMaterialAsync({ material, publicKey: 'garbage!' }), () => m.wrapForImportAsync({}), () => m.wrapForImportAsync(undefined)]) {
    let promise;
    assert.doesNotThrow(() => { promise = call(); });
    await assert.rejects(promise, (e) => e instanceof m.ByokError);
  }
  // Plain http is fine to this machine, and elsewhere on opt-in; https always.
  for (const endpoint of ['http://127.0.0.1:9', 'http://localhost:9', 'http://[::1]:9', 'https://kms.example.com']) {
    new m.KmsClient({ endpoint, accessKeyId: 'a', accessKeySecret: 'b' }).free();
  }
  new m.KmsClient({ endpoint: 'http://10.1.2.3', accessKeyId: 'a', accessKeySecret: 'b', allowInsecureHttp: true }).free();
  // Legacy padding works once opted in; Node 20 cannot decrypt it, the openssl tests do.
  const wrapped = m.wrapKeyMaterial({ material, publicKey: base64, algorithm: 'RSAES_PKCS1_V1_5', allowLegacyPkcs1: true });
  assert.equal(Buffer.from(wrapped, 'base64').length, 256);
});

test('before init every function says NotInitialized; after free, Freed', async () => {
  // A second, never-initialised instance of the installed module.
  const fresh = await import(`${pathToFileURL(join(dir, 'node_modules/byok-wrap/byok_wrap.js')).href}?fresh`);
  const calls = [
    () => fresh.generateKeyMaterial(),
    () => fresh.wrapForImport({}),
    () => fresh.keyCheckValue(new Uint8Array(16)),
    () => fresh.importRules(),
    () => new fresh.KmsClient({ endpoint: 'https://x', accessKeyId: 'a', accessKeySecret: 'b' }),
  ];
  for (const call of calls) {
    assert.throws(call, (e) => e instanceof fresh.ByokError && e.code === 'NotInitialized' && /await init\(\)/.test(e.message));
  }
  await assert.rejects(fresh.wrapForImportAsync({}), (e) => e.code === 'NotInitialized');
  const { m } = await loaded();
  const client = new m.KmsClient({ endpoint: 'https://kms.example.com', accessKeyId: 'a', accessKeySecret: 'b' });
  const dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose');
  client[dispose]();
  await assert.rejects(client.listKeys(), (e) => e instanceof m.ByokError && e.code === 'Freed');
  assert.throws(() => client.accessKeyId, (e) => e.code === 'Freed');
  const signer = new m.RequestSigner('a', 'b');
  signer.free();
  assert.throws(() => signer.sign('h', 'ListKeys', {}), (e) => e.code === 'Freed');
});

test('no trace of a secret remains in the shipped module\'s memory after any call', async () => {
  // Uses only the first API's names, so that the same test can be run against an older package.
  const { m, memory } = await loaded();
  const check = (needles, after) => assert.deepEqual(leaks(memory, needles), [], `after ${after}`);
  for (const [algorithm, hash, legacy] of [['RSAES_OAEP_SHA_256', 'SHA-256', false], ['RSAES_OAEP_SHA_1', 'SHA-1', false], ['RSAES_PKCS1_V1_5', 'SHA-256', true]]) {
    const pair = rsaPair(2048);
    for (let i = 0; i < 4; i++) {
      const material = crypto.getRandomValues(new Uint8Array(32));
      const wrapped = m.wrapKeyMaterial({ material, publicKey: pair.base64, algorithm, allowLegacyPkcs1: legacy });
      const needles = await rsaNeedles(pair.jwk, hash, Buffer.from(wrapped, 'base64'));
      check({ material, ...needles }, `wrapping with ${algorithm}`);
    }
  }
  for (const [len, spec] of [[16], [24], [32], [16, 'Aliyun_SM4']]) {
    const material = crypto.getRandomValues(new Uint8Array(len));
    m.keyCheckValue(material, spec);
    check({ material, ...(spec ? sm4Needles(material) : aesNeedles(material)) }, `keyCheckValue of ${len} bytes ${spec ?? ''}`);
  }
  // The access key secret: one copy while the signer lives, none once it is freed; never its
  // HMAC key blocks.
  const secret = 'Xq7Rk2Lm9Vb4Nw6Zt1Hc8Jd3Fs5Gp0Ya';
  const needle = new TextEncoder().encode(secret);
  const signer = new m.RequestSigner('LTAI5tTestAccessKey', secret);
  assert.equal(occurrences(memory, needle), 1, 'the signer holds one copy');
  for (let i = 0; i < 3; i++) {
    signer.sign('kms.cn-hangzhou.aliyuncs.com', 'DescribeKey', { KeyId: 'key-1' });
    assert.equal(occurrences(memory, needle), 1, 'signing makes no copy');
    check(hmacNeedles(secret), 'signing');
  }
  // The search itself works: it finds the copy the live signer holds.
  assert.deepEqual(leaks(memory, { secret: needle }), ['secret']);
  signer.free();
  assert.equal(occurrences(memory, needle), 0, 'free() wipes the secret');
});

// Every ```js block of each README, exactly as written: it must run under Node against the
// installed package (in a directory holding the files the examples read: a wrapping public key
// as the clouds give it, and a private key), and type-check with tsc against its declarations.
const READMES = {
  'package README': () => join(dir, 'node_modules/byok-wrap/README.md'),
  'repository README': () => join(root, 'README.md'),
};

function exampleFiles(at) {
  // `aws kms get-parameters-for-import … --query PublicKey --output text > PublicKey.b64`
  writeFileSync(join(at, 'PublicKey.b64'), `${rsaPair(4096).base64}\n`);
  // `gcloud kms import-jobs describe … --format='value(publicKey.pem)' > import-job.pem`
  writeFileSync(join(at, 'import-job.pem'), rsaPair(3072).pem);
  writeFileSync(join(at, 'ec-key.pem'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }));
  // What @types/node would declare for the examples' file access, for tsc.
  writeFileSync(join(at, 'node-fs.d.ts'), "declare module 'node:fs' { export function readFileSync(path: string): Uint8Array; export function readFileSync(path: string, encoding: 'utf8'): string; export function writeFileSync(path: string, data: string | Uint8Array): void; }\n");
}

function typeCheck(slug, files) {
  writeFileSync(join(dir, `tsconfig.${slug}.json`), JSON.stringify({
    compilerOptions: {
      target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true,
      noEmit: true, lib: ['es2022', 'dom'], types: [],
    },
    files: ['node-fs.d.ts', ...files],
  }));
  try {
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(dir, `tsconfig.${slug}.json`)], { encoding: 'utf8' });
  } catch (error) {
    assert.fail(`tsc: ${error.stdout}${error.stderr}`);
  }
}

for (const [name, path] of Object.entries(READMES)) {
  test(`every example of the ${name} runs as written and type-checks`, () => {
    exampleFiles(dir);
    const examples = [...readFileSync(path(), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)]
      .map((match) => match[1])
      // Run against a KMS below, in tests/node/testing.test.mjs under their test runners, and
      // the AWS SDK's in server/tests/sdk/node/aws_client_kms.test.mjs and AwsKmsClient's in
      // tests/e2e/aws_client.test.mjs against a byok-kms.
      .filter((example) => !example.includes('new KmsClient') && !example.includes('new AwsKmsClient') && !example.includes("from 'byok-wrap/testing'") &&
        !example.includes("from '@aws-sdk/client-kms'"));
    assert.ok(examples.length >= (name === 'repository README' ? 3 : 1), `${examples.length} examples`);
    const files = [];
    for (const [i, example] of examples.entries()) {
      const slug = `${name.replace(/ /g, '-')}-${i}`;
      writeFileSync(join(dir, `${slug}.mjs`), example);
      const out = execFileSync(process.execPath, [join(dir, `${slug}.mjs`)], { cwd: dir, encoding: 'utf8' });
      assert.match(out, /[A-Za-z]+=[A-Za-z0-9+/]{300,}={0,2}\n/, `example ${i} prints what it wrapped:\n${example}`);
      writeFileSync(join(dir, `${slug}.ts`), `${example}\nexport {};\n`);
      files.push(`${slug}.ts`);
    }
    typeCheck(name.replace(/ /g, '-'), files);
  });
}

test('the declarations type-check a page\'s typical use, with `using`', () => {
  exampleFiles(dir);
  writeFileSync(join(dir, 'typical.ts'), `
import init, { KmsClient, ByokError, importKeyMaterial, importRules, isByokError, type ImportStep, type WrappingAlgorithm } from 'byok-wrap';
await init();
const algorithms: WrappingAlgorithm[] = importRules().algorithms.filter((a) => a.clouds.includes('aws')).map((a) => a.name);
{
  using client = new KmsClient({ endpoint: 'https://kms.cn-hangzhou.aliyuncs.com', accessKeyId: 'a', accessKeySecret: 'b', securityToken: 't' });
  const controller = new AbortController();
  const steps: ImportStep[] = [];
  try {
    const key = await importKeyMaterial(client, { keyId: 'k', material: new Uint8Array(32), algorithm: algorithms[0], expiresAt: new Date(), onStep: (s) => steps.push(s), signal: controller.signal });
    const state: 'Enabled' | 'Disabled' | 'PendingDeletion' | 'PendingImport' = key.KeyState;
    console.log(state);
  } catch (error) {
    if (error instanceof ByokError && error.code === 'Aborted') console.log('aborted');
    if (isByokError(error)) console.log(error.code);
  }
}
// @ts-expect-error: not a wire name
importRules().algorithms.filter((a) => a.name === 'RSA_OAEP');
export {};
`);
  typeCheck('typical', ['typical.ts']);
});

test('KmsClient and importKeyMaterial work from Node 20 against a real byok-kms', async () => {
  const { startKms } = await import('../kms.mjs');
  const kms = await startKms();
  try {
    const { m } = await loaded();
    const sent = [];
    const recordingFetch = (url, init) => { sent.push({ url, headers: init.headers }); return fetch(url, init); };
    const client = new m.KmsClient({ endpoint: kms.origin, accessKeyId: kms.accessKeyId, accessKeySecret: kms.accessKeySecret, regionId: 'cn-hangzhou', fetch: recordingFetch });
    assert.equal(client.endpoint, kms.origin);
    assert.equal(client.regionId, 'cn-hangzhou');

    const key = await client.createKey({ description: 'from node' });
    assert.equal(key.Origin, 'EXTERNAL');
    assert.equal(key.KeyState, 'PendingImport');
    const material = m.generateKeyMaterial();
    const steps = [];
    const expiresAt = new Date(Date.now() + 3_600_000);
    const imported = await m.importKeyMaterial(client, { keyId: key.KeyId, material, expiresAt, onStep: (s) => steps.push(`${s.step}:${s.status}`) });
    assert.equal(imported.KeyState, 'Enabled');
    assert.equal(Date.parse(imported.MaterialExpireTime), Math.floor(expiresAt.getTime() / 1000) * 1000);
    assert.deepEqual(steps, ['checkKey', 'getParameters', 'wrap', 'upload', 'verify'].flatMap((s) => [`${s}:started`, `${s}:done`]));
    assert.deepEqual(sent.slice(-4).map((r) => r.headers['x-acs-action']), ['DescribeKey', 'GetParametersForImport', 'ImportKeyMaterial', 'DescribeKey']);

    // Refusals carry the KMS's code, message and request id.
    await assert.rejects(m.importKeyMaterial(client, { keyId: key.KeyId, material: m.generateKeyMaterial() }), (e) => {
      assert.ok(e instanceof m.ByokError);
      assert.equal(e.code, 'InvalidKeyMaterial');
      assert.equal(e.httpStatus, 400);
      assert.match(e.requestId, /^[0-9A-F-]{36}$/);
      return true;
    });
    // A wrong length is refused locally, after DescribeKey and before anything else is asked.
    const before = sent.length;
    await assert.rejects(m.importKeyMaterial(client, { keyId: key.KeyId, material: m.generateKeyMaterial('AES_128') }),
      (e) => e.code === 'MaterialLength' && /must be 32 bytes, got 16/.test(e.message));
    assert.equal(sent.length, before + 1);
    // Typos and milliseconds are refused, not silently ignored.
    await assert.rejects(client.createKey({ keyspec: 'Aliyun_AES_128' }), (e) => e.code === 'InvalidArgument' && /unknown option `keyspec`/.test(e.message));
    await assert.rejects(m.importKeyMaterial(client, { keyId: key.KeyId, material, expiresUnix: 1 }), (e) => /unknown option `expiresUnix`/.test(e.message));
    await assert.rejects(m.importKeyMaterial(client, { keyId: key.KeyId, material, expiresAt: Date.now() + 3_600_000 }), (e) => e.code === 'InvalidArgument' && /milliseconds/.test(e.message));

    // The step-by-step path, with SHA-1, after deleting the material; an AbortSignal first.
    await client.deleteKeyMaterial(key.KeyId);
    const controller = new AbortController();
    await assert.rejects(m.importKeyMaterial(client, { keyId: key.KeyId, material, onStep: (s) => s.step === 'wrap' && controller.abort(), signal: controller.signal }),
      (e) => e instanceof m.ByokError && e.code === 'Aborted');
    assert.equal((await client.describeKey(key.KeyId)).KeyState, 'PendingImport', 'an aborted import sends nothing more');
    const params = await client.getParametersForImport({ keyId: key.KeyId, algorithm: 'RSAES_OAEP_SHA_1' });
    const encryptedKeyMaterial = m.wrapForImport({ material, publicKey: params.PublicKey, algorithm: 'RSAES_OAEP_SHA_1' });
    await client.importKeyMaterial({ keyId: key.KeyId, encryptedKeyMaterial, importToken: params.ImportToken });
    assert.equal((await client.describeKey(key.KeyId)).KeyState, 'Enabled');

    const listed = await client.listKeys({ pageSize: 10 });
    assert.ok(listed.Keys.Key.some((k) => k.KeyId === key.KeyId));
    const encrypted = await client.call('Encrypt', { KeyId: key.KeyId, Plaintext: Buffer.from('hi').toString('base64') });
    const decrypted = await client.call('Decrypt', { CiphertextBlob: encrypted.CiphertextBlob });
    assert.equal(Buffer.from(decrypted.Plaintext, 'base64').toString(), 'hi');

    // Temporary credentials: the security token is sent, signed, and the KMS verifies it.
    const sts = new m.KmsClient({ endpoint: kms.origin, accessKeyId: kms.accessKeyId, accessKeySecret: kms.accessKeySecret, securityToken: 'sts-token-1', fetch: recordingFetch });
    await sts.listKeys();
    const last = sent.at(-1).headers;
    assert.equal(last['x-acs-security-token'], 'sts-token-1');
    assert.match(last.authorization, /SignedHeaders=[^,]*x-acs-security-token/);

    const wrong = new m.KmsClient({ endpoint: kms.origin, accessKeyId: kms.accessKeyId, accessKeySecret: 'wrong' });
    await assert.rejects(wrong.listKeys(), (e) => e.code === 'SignatureDoesNotMatch');
    const nowhere = new m.KmsClient({ endpoint: 'http://127.0.0.1:9', accessKeyId: 'a', accessKeySecret: 'b' });
    await assert.rejects(nowhere.listKeys(), (e) => e.code === 'NetworkError');
    for (const endpoint of ['127.0.0.1:8080', 'ftp://x', 'http://x/path']) {
      assert.throws(() => new m.KmsClient({ endpoint, accessKeyId: 'a', accessKeySecret: 'b' }), (e) => e.code === 'InvalidArgument' || e.code === 'InsecureEndpoint');
    }
    assert.throws(() => new m.KmsClient({ endpoint: kms.origin, accessKeyId: 'a' }), (e) => e.code === 'InvalidArgument');
  } finally {
    await kms.stop();
  }
});

test('the repository README KmsClient example runs against a real byok-kms and type-checks', async () => {
  const { startKms } = await import('../kms.mjs');
  const kms = await startKms();
  try {
    const blocks = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
    const example = blocks.find((b) => b.includes('new KmsClient'));
    assert.ok(example, 'the README has a KmsClient example');
    // The same code, with this server's address and key in place of the placeholders.
    const configured = example
      .replace(/endpoint: '[^']*'/, `endpoint: '${kms.origin}'`)
      .replace(/accessKeyId: '[^']*'/, `accessKeyId: '${kms.accessKeyId}'`)
      .replace(/accessKeySecret: '[^']*'/, `accessKeySecret: '${kms.accessKeySecret}'`);
    assert.notEqual(configured, example);
    writeFileSync(join(dir, 'client-example.mjs'), configured);
    const out = execFileSync(process.execPath, [join(dir, 'client-example.mjs')], { cwd: dir, encoding: 'utf8' });
    assert.match(out, /[0-9a-f-]{36} is Enabled\n$/);
    writeFileSync(join(dir, 'client-example.ts'), `${example}\nexport {};\n`);
    exampleFiles(dir);
    typeCheck('client', ['client-example.ts']);
  } finally {
    await kms.stop();
  }
});
