// byok-wrap/testing: startKms() starts a throwaway byok-kms (ephemeral state, a free port, one
// ready line) that the package's own client imports into, and stop() leaves nothing behind.
// Needs `make pkg` and `cargo build -p byok-kms` (make test does both).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../kms.mjs';

const BIN = process.env.BYOK_KMS_BIN ?? join(ROOT, 'target/debug/byok-kms');
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

test("the README's startKms example runs as written, as a node:test file", async () => {
  const blocks = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  const example = blocks.find((b) => b.includes("from 'byok-wrap/testing'"));
  assert.ok(example, 'the README has a startKms example');
  const app = mkdtempSync(join(tmpdir(), 'byok-testing-readme-'));
  try {
    mkdirSync(join(app, 'node_modules'));
    symlinkSync(join(ROOT, 'pkg'), join(app, 'node_modules/byok-wrap'));
    writeFileSync(join(app, 'example.test.mjs'), example);
    // A test run of its own (NODE_TEST_CONTEXT would make it report to this one instead).
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const run = spawnSync(process.execPath, ['--test', join(app, 'example.test.mjs')],
      { cwd: app, encoding: 'utf8', env: { ...env, BYOK_KMS_BIN: BIN } });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    assert.match(run.stdout, /# pass 1\n/);
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
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
  assert.deepEqual(Object.keys(ready.accounts[0]), ['accessKeyId'], 'no secret in the ready line');
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
