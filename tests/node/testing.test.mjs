// byok-wrap/testing: startKms() starts a throwaway byok-kms (ephemeral state, a free port, one
// ready line) that the package's own client imports into, and stop() leaves nothing behind.
// Needs `make pkg` and `cargo build -p byok-kms` (make test does both).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../kms.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../e2e/chromium.mjs';

const BIN = process.env.BYOK_KMS_BIN ?? join(ROOT, 'target/debug/byok-kms');
// A temporary directory of this file's own, for it and every server it starts (they follow
// TMPDIR), so that counting ephemeral directories sees only this file's.
const OWN_TMP = mkdtempSync(join(tmpdir(), 'byok-testing-tmp-'));
process.env.TMPDIR = OWN_TMP;
after(() => rmSync(OWN_TMP, { recursive: true, force: true }));
const ephemeralDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('byok-kms-ephemeral-'));

/** The package as an application sees it: `import … from 'byok-wrap/testing'` through its exports. */
async function fromPackage() {
  const app = mkdtempSync(join(tmpdir(), 'byok-testing-app-'));
  mkdirSync(join(app, 'node_modules'));
  symlinkSync(join(ROOT, 'pkg'), join(app, 'node_modules/byok-wrap'));
  writeFileSync(join(app, 'probe.mjs'),
    "export * from 'byok-wrap/testing';\nexport { default as init, KmsClient, importKeyMaterial, generateKeyMaterial } from 'byok-wrap';\n");
  try {
    return await import(pathToFileURL(join(app, 'probe.mjs')).href);
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
}

test('the package exports ./testing for Node only, with its types', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'pkg/package.json'), 'utf8'));
  assert.deepEqual(manifest.exports['./testing'], { types: './testing.d.ts', node: './testing.js' });
  for (const file of ['testing.js', 'testing.d.ts']) assert.ok(manifest.files.includes(file), file);
});

test('startKms serves a fresh KMS the package imports into, and stop() removes its state', async () => {
  const lib = await fromPackage();
  await lib.init();
  const before = new Set(ephemeralDirs());
  const kms = await lib.startKms({ binary: BIN });
  const mine = ephemeralDirs().filter((n) => !before.has(n));
  assert.equal(mine.length, 1, 'one new ephemeral data directory');
  assert.match(kms.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(kms.accessKeyId, /^LTAI[A-Za-z0-9]{20}$/);
  assert.match(kms.awsAccessKeyId, /^AKIA[A-Z0-9]{16}$/);
  assert.equal(kms.awsSecretAccessKey.length, 40);
  const client = new lib.KmsClient({ endpoint: kms.endpoint, accessKeyId: kms.accessKeyId, accessKeySecret: kms.accessKeySecret });
  try {
    const key = await client.createKey({ origin: 'EXTERNAL', keySpec: 'Aliyun_AES_256' });
    const material = lib.generateKeyMaterial('Aliyun_AES_256');
    const imported = await lib.importKeyMaterial(client, { keyId: key.KeyId, material });
    assert.equal(imported.KeyState, 'Enabled');
    // Another server has its own state: the key is not there.
    const other = await lib.startKms({ binary: BIN });
    try {
      assert.notEqual(other.endpoint, kms.endpoint);
      const second = new lib.KmsClient({ endpoint: other.endpoint, accessKeyId: other.accessKeyId, accessKeySecret: other.accessKeySecret });
      assert.equal((await second.listKeys()).TotalCount, 0);
      second.free();
    } finally {
      await other.stop();
    }
  } finally {
    client.free();
    await kms.stop();
    await kms.stop(); // twice is fine
  }
  assert.ok(!existsSync(join(tmpdir(), mine[0])), 'the data directory is gone after stop()');
  await assert.rejects(fetch(`${kms.endpoint}/healthz`), 'nothing listens any more');
});

test('startKms says why a server could not start', async () => {
  const { startKms } = await fromPackage();
  await assert.rejects(startKms({ binary: join(tmpdir(), 'no-such-byok-kms') }), /cannot run .*no-such-byok-kms/);
  await assert.rejects(startKms({ binary: BIN, args: ['--data-dir', tmpdir()] }),
    /exited \(code 2\) before serving[\s\S]*cannot be used with '--data-dir/);
});

/** A seed with one key of known AES-256 material behind alias/app, and one PendingImport key. */
function knownWorld(material) {
  return {
    accounts: [{
      accessKeyId: 'LTAIseedtesting00001', accessKeySecret: 'seed-testing-secret-000000001',
      awsAccessKeyId: 'AKIASEEDTESTING01', awsSecretAccessKey: 'seed-testing-aws-secret-0000000000000001',
      keys: [
        { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', keySpec: 'Aliyun_AES_256', origin: 'EXTERNAL', description: 'app',
          aliases: ['alias/app'], tags: { team: 'payments' }, material: Buffer.from(material).toString('base64'), materialExpireUnix: 0 },
        { keyId: '1234abcd-12ab-34cd-56ef-1234567890ac', keySpec: 'Aliyun_AES_128', origin: 'EXTERNAL' },
      ],
    }],
  };
}

const seedDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('byok-kms-seed-'));

test('startKms({ seed }) serves the seeded world: its material is bound, its alias encrypts', async () => {
  const lib = await fromPackage();
  await lib.init();
  const material = lib.generateKeyMaterial('Aliyun_AES_256');
  const kms = await lib.startKms({ binary: BIN, seed: knownWorld(material) });
  assert.deepEqual(seedDirs(), [], 'the seed file is removed once the server has started');
  assert.equal(kms.accessKeyId, 'LTAIseedtesting00001');
  assert.equal(kms.awsSecretAccessKey, 'seed-testing-aws-secret-0000000000000001');
  const client = new lib.KmsClient({ endpoint: kms.endpoint, accessKeyId: kms.accessKeyId, accessKeySecret: kms.accessKeySecret });
  try {
    const key = await client.describeKey('alias/app');
    assert.equal(key.KeyState, 'Enabled');
    assert.equal((await client.describeKey('1234abcd-12ab-34cd-56ef-1234567890ac')).KeyState, 'PendingImport');
    const { CiphertextBlob } = await client.call('Encrypt', { KeyId: 'alias/app', Plaintext: Buffer.from('hello').toString('base64') });
    const { Plaintext } = await client.call('Decrypt', { CiphertextBlob });
    assert.equal(Buffer.from(Plaintext, 'base64').toString(), 'hello');
    // The same-material rule holds against the seeded material.
    const other = lib.generateKeyMaterial('Aliyun_AES_256');
    await assert.rejects(lib.importKeyMaterial(client, { keyId: key.KeyId, material: other }),
      (e) => e.code === 'InvalidKeyMaterial');
    const again = await lib.importKeyMaterial(client, { keyId: key.KeyId, material });
    assert.equal(again.KeyState, 'Enabled');
  } finally {
    client.free();
    await kms.stop();
  }
});

test('startKms({ seed }) takes a seed file, and a seed the server refuses rejects with its message', async () => {
  const { startKms } = await fromPackage();
  const dir = mkdtempSync(join(tmpdir(), 'byok-testing-seedfile-'));
  try {
    const path = join(dir, 'seed.json');
    writeFileSync(path, JSON.stringify(knownWorld(new Uint8Array(32))));
    const kms = await startKms({ binary: BIN, seed: path });
    assert.equal(kms.awsAccessKeyId, 'AKIASEEDTESTING01');
    await kms.stop();
    assert.ok(existsSync(path), "the caller's own file stays");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const broken = knownWorld(new Uint8Array(16));
  await assert.rejects(startKms({ binary: BIN, seed: broken }),
    /exited \(code 1\) before serving[\s\S]*accounts\[0\]\.keys\[0\] \(keyId 1234abcd-12ab-34cd-56ef-1234567890ab\): the material is 16 bytes/);
  broken.accounts[0].keys[0].colour = 'red';
  await assert.rejects(startKms({ binary: BIN, seed: broken }), /unknown field `colour`[\s\S]*fix the file/);
  await assert.rejects(startKms({ binary: BIN, seed: 42 }), /seed must be a seed object/);
  assert.deepEqual(seedDirs(), [], 'no seed file is left behind');
  assert.deepEqual(ephemeralDirs(), [], 'no data directory is left behind');
});

/** The README's ```js block that imports from `from`. */
function readmeExample(from) {
  const blocks = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  const example = blocks.find((b) => b.includes("from 'byok-wrap/testing'") && b.includes(`from '${from}'`));
  assert.ok(example, `the README has a startKms example with ${from}`);
  return example;
}

/**
 * Runs `file` (written from a README example) in a new application directory where `byok-wrap`
 * is the built package and `links` name the repository's test runners, with `command`.
 */
function runInApp({ file, example, links = [], extra = {}, command }) {
  const app = mkdtempSync(join(tmpdir(), 'byok-testing-readme-'));
  try {
    mkdirSync(join(app, 'node_modules/@playwright'), { recursive: true });
    symlinkSync(join(ROOT, 'pkg'), join(app, 'node_modules/byok-wrap'));
    for (const name of links) symlinkSync(join(ROOT, 'node_modules', name), join(app, 'node_modules', name));
    writeFileSync(join(app, file), example);
    for (const [name, text] of Object.entries(extra)) writeFileSync(join(app, name), text);
    // A test run of its own (NODE_TEST_CONTEXT would make node --test report to this one),
    // in plain text: under CI=1 the runners' colour libraries colour piped output too.
    const { NODE_TEST_CONTEXT: _, FORCE_COLOR: __, ...env } = process.env;
    const [program, ...args] = command(app);
    const run = spawnSync(program, args, { cwd: app, encoding: 'utf8', env: { ...env, NO_COLOR: '1', BYOK_KMS_BIN: BIN } });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    return stripVTControlCharacters(run.stdout);
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
}

test("the README's three lines run as written, and leave nothing behind", () => {
  const blocks = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  const example = blocks.find((b) => b.includes("from 'byok-wrap/testing'") && !b.includes('test('));
  assert.ok(example, 'the README has the three lines');
  assert.equal(example.trim().split('\n').length, 3);
  const before = ephemeralDirs().length;
  runInApp({ file: 'three.mjs', example, command: (app) => [process.execPath, join(app, 'three.mjs')] });
  assert.equal(ephemeralDirs().length, before);
  assert.deepEqual(ephemeralDirs(), [], "no directory of this file's servers is left");
});

test("the README's node:test example runs as written", () => {
  const out = runInApp({ file: 'example.test.mjs', example: readmeExample('node:test'),
    command: (app) => [process.execPath, '--test', join(app, 'example.test.mjs')] });
  assert.match(out, /# pass 1\n/);
});

test("the README's seed example runs as written", () => {
  const blocks = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  const example = blocks.find((b) => b.includes("from 'byok-wrap/testing'") && b.includes('startKms({ seed })'));
  assert.ok(example, 'the README has a seed example');
  const out = runInApp({ file: 'seed.test.mjs', example,
    command: (app) => [process.execPath, '--test', join(app, 'seed.test.mjs')] });
  assert.match(out, /# pass 1\n/);
  assert.deepEqual(seedDirs(), [], 'the seed file is gone');
});

test("the README's Vitest example runs as written under vitest", () => {
  const out = runInApp({ file: 'kms.test.mjs', example: readmeExample('vitest'), links: ['vitest'],
    command: (app) => [join(ROOT, 'node_modules/.bin/vitest'), 'run', '--root', app] });
  assert.match(out, /Tests {2}1 passed \(1\)/);
});

test("the README's Playwright fixture runs as written, driving the test page in Chromium", () => {
  const config = `export default {
  testDir: '.', testMatch: '*.spec.mjs', workers: 1, reporter: 'list',
  use: { browserName: 'chromium', launchOptions: { executablePath: ${JSON.stringify(CHROMIUM)}, args: ${JSON.stringify(CHROMIUM_ARGS)} } },
};
`;
  const out = runInApp({ file: 'kms.spec.mjs', example: readmeExample('@playwright/test'), links: ['@playwright/test'],
    extra: { 'playwright.config.mjs': config },
    command: (app) => {
      cpSync(join(ROOT, 'tests/testing-page'), join(app, 'site'), { recursive: true });
      return [join(ROOT, 'node_modules/.bin/playwright'), 'test', '-c', join(app, 'playwright.config.mjs')];
    } });
  assert.match(out, /1 passed/);
});

test('byok-kms serve --ephemeral removes its state on SIGINT too, and --ready-json prints one line', async () => {
  const { spawn } = await import('node:child_process');
  const before = new Set(ephemeralDirs());
  const child = spawn(BIN, ['serve', '--ephemeral', '--listen', '127.0.0.1:0', '--ready-json'],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, RUST_LOG: 'warn' } });
  let out = '';
  child.stdout.setEncoding('utf8');
  await new Promise((resolve) => child.stdout.on('data', (d) => { out += d; if (out.includes('\n')) resolve(); }));
  const ready = JSON.parse(out);
  assert.deepEqual(Object.keys(ready).sort(), ['accounts', 'listening']);
  assert.equal(ready.accounts.length, 1);
  assert.deepEqual(Object.keys(ready.accounts[0]).sort(), ['accessKeyId', 'awsAccessKeyId'], 'no secret in the ready line');
  assert.equal((await fetch(`${ready.listening}/healthz`)).status, 200);
  const mine = ephemeralDirs().filter((n) => !before.has(n));
  assert.equal(mine.length, 1);
  // The generated secret is in the directory, readable by its owner only.
  assert.ok(existsSync(join(tmpdir(), mine[0], 'access-key.env')));
  child.kill('SIGINT');
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 0);
  assert.equal(out.trim().split('\n').length, 1, 'exactly one line on stdout');
  assert.ok(!existsSync(join(tmpdir(), mine[0])), 'removed on SIGINT');
});

test('a signal right after the ready line still stops the server gracefully, removing its state', async () => {
  const { spawn } = await import('node:child_process');
  // The handlers are installed before the ready line; a lazy install lost about one start in three.
  for (let i = 0; i < 12; i++) {
    const signal = i % 2 ? 'SIGINT' : 'SIGTERM';
    const child = spawn(BIN, ['serve', '--ephemeral', '--listen', '127.0.0.1:0', '--ready-json'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } });
    child.stdout.once('data', () => child.kill(signal));
    const [code, killedBy] = await new Promise((resolve) => child.once('exit', (...a) => resolve(a)));
    assert.deepEqual({ code, killedBy }, { code: 0, killedBy: null }, `${signal} at the ready line, start ${i}`);
    assert.deepEqual(ephemeralDirs(), [], `nothing left after ${signal}, start ${i}`);
  }
});
