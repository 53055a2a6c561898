// The npm package as a user gets it: `npm pack` pkg/, install the tarball into an empty directory,
// import it from Node 20 (ESM), wrap, and let Node's own crypto (OpenSSL) decrypt. Also type-checks
// the README example against the installed declarations.
//
// Needs `make pkg` first; `make test` does that.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, privateDecrypt, createCipheriv, constants } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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

function rsaPair(modulusLength) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength });
  return {
    privateKey,
    base64: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    pem: publicKey.export({ type: 'spki', format: 'pem' }),
    pkcs1Pem: publicKey.export({ type: 'pkcs1', format: 'pem' }),
    der: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
  };
}

test('the tarball holds exactly the package files', () => {
  const installed = join(dir, 'node_modules/byok-wrap');
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  assert.equal(manifest.name, 'byok-wrap');
  assert.equal(manifest.type, 'module');
  assert.equal(manifest.types, './index.d.ts');
  assert.deepEqual(readdirSync(installed).sort(), [...manifest.files, 'package.json'].sort());
});

test('Node crypto decrypts what the installed package wraps', async () => {
  const { default: init, generateKeyMaterial, wrapKeyMaterial, wrapKeyMaterialAsync } = await load();
  await init();
  for (const bits of [2048, 3072, 4096]) {
    const pair = rsaPair(bits);
    for (const [algorithm, oaepHash] of [['RSAES_OAEP_SHA_256', 'sha256'], ['RSAES_OAEP_SHA_1', 'sha1']]) {
      for (const publicKey of [pair.base64, pair.pem, pair.pkcs1Pem, pair.der]) {
        const material = generateKeyMaterial('Aliyun_AES_256');
        const wrapped = wrapKeyMaterial({ material, publicKey, algorithm, keySpec: 'Aliyun_AES_256' });
        assert.match(wrapped, /^[A-Za-z0-9+/]+={0,2}$/);
        const plain = privateDecrypt(
          { key: pair.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash },
          Buffer.from(wrapped, 'base64'),
        );
        assert.deepEqual(new Uint8Array(plain), material, `RSA-${bits} ${algorithm}`);
        // The asynchronous wrap (Node's WebCrypto, and the forced wasm path) decrypts the same.
        for (const webCrypto of [true, false]) {
          const again = await wrapKeyMaterialAsync({ material, publicKey, algorithm, webCrypto });
          const back = privateDecrypt({ key: pair.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, Buffer.from(again, 'base64'));
          assert.deepEqual(new Uint8Array(back), material, `async, webCrypto=${webCrypto}`);
        }
      }
    }
  }
});

test('init is idempotent and generated material differs per call', async () => {
  const { default: init, generateKeyMaterial } = await load();
  await init();
  await init();
  const lengths = { Aliyun_AES_256: 32, Aliyun_AES_192: 24, Aliyun_AES_128: 16, Aliyun_SM4: 16 };
  for (const [spec, length] of Object.entries(lengths)) {
    const a = generateKeyMaterial(spec);
    const b = generateKeyMaterial(spec);
    assert.ok(a instanceof Uint8Array);
    assert.equal(a.length, length);
    assert.notDeepEqual(a, b);
  }
  assert.equal(generateKeyMaterial().length, 32);
});

test('key check values match Node crypto AES-ECB', async () => {
  const { default: init, generateKeyMaterial, keyCheckValue } = await load();
  await init();
  for (const [spec, cipher] of [['AES_128', 'aes-128-ecb'], ['AES_192', 'aes-192-ecb'], ['AES_256', 'aes-256-ecb']]) {
    const material = generateKeyMaterial(spec);
    const c = createCipheriv(cipher, material, null).setAutoPadding(false);
    const block = Buffer.concat([c.update(Buffer.alloc(16)), c.final()]);
    assert.equal(keyCheckValue(material), block.subarray(0, 3).toString('hex').toUpperCase());
  }
});

test('errors are ByokError with a stable code', async () => {
  const { default: init, wrapKeyMaterial, generateKeyMaterial, keyCheckValue } = await load();
  await init();
  const { base64 } = rsaPair(2048);
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
  const material = generateKeyMaterial();
  const cases = [
    [() => wrapKeyMaterial({ material, publicKey: ec }), 'InvalidPublicKey', /EC public key on P-256/],
    [() => wrapKeyMaterial({ material, publicKey: small }), 'InvalidPublicKey', /RSA-1024/],
    [() => wrapKeyMaterial({ material, publicKey: base64, algorithm: 'RSAES_PKCS1_V1_5' }), 'LegacyAlgorithmRefused', /allowLegacyPkcs1/],
    [() => wrapKeyMaterial({ material, publicKey: base64, keySpec: 'Aliyun_AES_128' }), 'MaterialLength', /must be 16 bytes, got 32/],
    [() => wrapKeyMaterial({ material: Array.from(material), publicKey: base64 }), 'InvalidArgument', /Uint8Array/],
    [() => wrapKeyMaterial({ material, publicKey: base64, algoritm: 'RSAES_OAEP_SHA_1' }), 'InvalidArgument', /unknown option "algoritm"/],
    [() => generateKeyMaterial('AES_512'), 'UnknownKeySpec', /AES_512/],
    [() => keyCheckValue(new Uint8Array(7)), 'MaterialLength', /got 7/],
  ];
  for (const [call, code, message] of cases) {
    assert.throws(call, (error) => {
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'ByokError');
      assert.equal(error.code, code);
      assert.match(error.message, message);
      return true;
    });
  }
  // Legacy padding works once opted in; Node 20 refuses PKCS#1 v1.5 decryption (CVE-2023-46809),
  // so the openssl tests check that this output decrypts.
  const wrapped = wrapKeyMaterial({ material, publicKey: base64, algorithm: 'RSAES_PKCS1_V1_5', allowLegacyPkcs1: true });
  assert.equal(Buffer.from(wrapped, 'base64').length, 256);
});

test('no copy of the material remains in the shipped module\'s memory', async () => {
  const { default: init, wrapKeyMaterial, keyCheckValue } = await load();
  const { memory } = await init();
  const { base64 } = rsaPair(2048);
  const contains = (needle) => {
    const hay = Buffer.from(memory.buffer);
    const half = needle.length >> 1;
    return [needle, needle.subarray(0, half), needle.subarray(half)].some((part) => hay.indexOf(part) !== -1);
  };
  for (let i = 0; i < 16; i++) {
    const material = crypto.getRandomValues(new Uint8Array(32));
    wrapKeyMaterial({ material, publicKey: base64 });
    keyCheckValue(material);
    assert.ok(!contains(Buffer.from(material)), 'material found in wasm memory');
  }
});

// The first ```js block of each README, exactly as written: it must run under Node against the
// installed package and type-check with tsc against its declarations.
const READMES = {
  'package README': () => join(dir, 'node_modules/byok-wrap/README.md'),
  'repository README': () => join(root, 'README.md'),
};

for (const [name, path] of Object.entries(READMES)) {
  test(`the ${name} example runs as written and type-checks`, () => {
    const example = readFileSync(path(), 'utf8').match(/```js\n([\s\S]*?)```/)[1];
    const slug = name.replace(/ /g, '-');
    writeFileSync(join(dir, `${slug}.mjs`), example);
    const out = execFileSync(process.execPath, [join(dir, `${slug}.mjs`)], { cwd: dir, encoding: 'utf8' });
    assert.match(out, /^key check value: [0-9A-F]{6}\nEncryptedKeyMaterial=[A-Za-z0-9+/]{342}==\n$/);

    writeFileSync(join(dir, `${slug}.ts`), `${example}\nexport {};\n`);
    writeFileSync(join(dir, `tsconfig.${slug}.json`), JSON.stringify({
      compilerOptions: {
        target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true,
        noEmit: true, lib: ['es2022', 'dom'], types: [],
      },
      files: [`${slug}.ts`],
    }));
    try {
      execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(dir, `tsconfig.${slug}.json`)], { encoding: 'utf8' });
    } catch (error) {
      assert.fail(`tsc: ${error.stdout}${error.stderr}`);
    }
  });
}

test('KmsClient and importKeyMaterial work from Node 20 against a real byok-kms', async () => {
  const { startKms } = await import('../kms.mjs');
  const kms = await startKms();
  try {
    const { default: init, KmsClient, importKeyMaterial, generateKeyMaterial, wrapKeyMaterial } = await load();
    await init();
    const client = new KmsClient({ endpoint: kms.origin, accessKeyId: kms.accessKeyId, accessKeySecret: kms.accessKeySecret, regionId: 'cn-hangzhou' });
    assert.equal(client.endpoint, kms.origin);
    assert.equal(client.regionId, 'cn-hangzhou');

    const key = await client.createKey({ description: 'from node' });
    assert.equal(key.Origin, 'EXTERNAL');
    assert.equal(key.KeyState, 'PendingImport');
    const material = generateKeyMaterial();
    const expireUnix = Math.floor(Date.now() / 1000) + 3600;
    const imported = await importKeyMaterial(client, { keyId: key.KeyId, material, expireUnix });
    assert.equal(imported.KeyState, 'Enabled');
    assert.match(imported.MaterialExpireTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    // Refusals carry the KMS's code, message and request id.
    await assert.rejects(importKeyMaterial(client, { keyId: key.KeyId, material: generateKeyMaterial() }), (e) => {
      assert.equal(e.name, 'ByokError');
      assert.equal(e.code, 'InvalidKeyMaterial');
      assert.equal(e.httpStatus, 400);
      assert.match(e.requestId, /^[0-9A-F-]{36}$/);
      return true;
    });
    // A wrong length is refused locally, before anything is sent.
    await assert.rejects(importKeyMaterial(client, { keyId: key.KeyId, material: generateKeyMaterial('AES_128') }),
      (e) => e.code === 'MaterialLength' && /must be 32 bytes, got 16/.test(e.message));

    // The step-by-step path, with SHA-1, after deleting the material.
    await client.deleteKeyMaterial(key.KeyId);
    assert.equal((await client.describeKey(key.KeyId)).KeyState, 'PendingImport');
    const params = await client.getParametersForImport(key.KeyId, 'RSAES_OAEP_SHA_1');
    const encryptedKeyMaterial = wrapKeyMaterial({ material, publicKey: params.PublicKey, algorithm: 'RSAES_OAEP_SHA_1' });
    await client.importKeyMaterial({ keyId: key.KeyId, encryptedKeyMaterial, importToken: params.ImportToken });
    assert.equal((await client.describeKey(key.KeyId)).KeyState, 'Enabled');

    const listed = await client.listKeys({ pageSize: 10 });
    assert.ok(listed.Keys.Key.some((k) => k.KeyId === key.KeyId));
    const encrypted = await client.call('Encrypt', { KeyId: key.KeyId, Plaintext: Buffer.from('hi').toString('base64') });
    const decrypted = await client.call('Decrypt', { CiphertextBlob: encrypted.CiphertextBlob });
    assert.equal(Buffer.from(decrypted.Plaintext, 'base64').toString(), 'hi');

    const wrong = new KmsClient({ endpoint: kms.origin, accessKeyId: kms.accessKeyId, accessKeySecret: 'wrong' });
    await assert.rejects(wrong.listKeys(), (e) => e.code === 'SignatureDoesNotMatch');
    const nowhere = new KmsClient({ endpoint: 'http://127.0.0.1:9', accessKeyId: 'a', accessKeySecret: 'b' });
    await assert.rejects(nowhere.listKeys(), (e) => e.code === 'NetworkError');
    for (const endpoint of ['127.0.0.1:8080', 'ftp://x', 'http://x/path']) {
      assert.throws(() => new KmsClient({ endpoint, accessKeyId: 'a', accessKeySecret: 'b' }), (e) => e.code === 'InvalidArgument');
    }
    assert.throws(() => new KmsClient({ endpoint: kms.origin, accessKeyId: 'a' }), (e) => e.code === 'InvalidArgument');
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
    assert.match(out, /^[0-9a-f-]{36} is Enabled\n$/);

    writeFileSync(join(dir, 'client-example.ts'), `${example}\nexport {};\n`);
    writeFileSync(join(dir, 'tsconfig.client.json'), JSON.stringify({
      compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, lib: ['es2022', 'dom'], types: [] },
      files: ['client-example.ts'],
    }));
    try {
      execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.client.json')], { encoding: 'utf8' });
    } catch (error) {
      assert.fail(`tsc: ${error.stdout}${error.stderr}`);
    }
  } finally {
    await kms.stop();
  }
});
