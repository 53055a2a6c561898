// The scale-out half of `make bench`: the same load against byok-kms on SQLite (one instance), on
// PostgreSQL (one instance) and on PostgreSQL (three instances, the load split between them),
// in one run on this machine. Needs a PostgreSQL server: `make bench` runs it under
// scripts/with-postgres.sh, which sets BYOK_TEST_POSTGRES_URL. Writes JSON (--out=FILE).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
// BYOK_BENCH_SERVER: another byok-kms binary under the same load (benches/compare.mjs uses it to
// measure an older build beside this one).
const SERVER = process.env.BYOK_BENCH_SERVER ?? join(root, 'target/release/byok-kms');
const LOAD = join(root, 'target/release/byok-kms-load');
const CONCURRENCY = 16;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ADMIN = process.env.BYOK_TEST_POSTGRES_URL;
if (!ADMIN) throw new Error('BYOK_TEST_POSTGRES_URL is not set: run under scripts/with-postgres.sh');
const ROOT_KEY = Buffer.alloc(32, 9).toString('base64');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.error('bench scale:', ...a);

async function startInstance(databaseUrl) {
  const dataDir = mkdtempSync(join(tmpdir(), 'byok-scale-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const args = ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--wrapping-key-pool', '16'];
  if (databaseUrl) args.push('--database-url', databaseUrl);
  const child = spawn(SERVER, args, {
    env: { ...process.env, BYOK_KMS_ACCESS_KEY_ID: 'bench', BYOK_KMS_ACCESS_KEY_SECRET: 'bench-secret', BYOK_KMS_ROOT_KEY: ROOT_KEY, RUST_LOG: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${origin}/healthz`)).ok) break;
    } catch { /* not yet */ }
    if (i > 300) throw new Error('byok-kms did not start');
    await sleep(100);
  }
  return {
    origin,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One byok-kms-load per instance, at the same time, the clients split between them. */
async function load(instances, action) {
  const each = Math.ceil(CONCURRENCY / instances.length);
  const runs = instances.map((instance) => new Promise((resolve, reject) => {
    const child = spawn(LOAD, ['run', '--endpoint', instance.origin, '--access-key-id', 'bench', '--access-key-secret', 'bench-secret',
      '--concurrency', String(each), '--action', action, '--duration', String(SECONDS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`byok-kms-load ${action} failed`))));
  }));
  const results = await Promise.all(runs);
  const errors = results.reduce((n, r) => n + r.errors, 0);
  if (errors > 0) throw new Error(`${action}: ${errors} errors`);
  const combined = {
    rps: results.reduce((n, r) => n + r.rps, 0),
    p50_ms: Math.max(...results.map((r) => r.p50_ms)),
    p99_ms: Math.max(...results.map((r) => r.p99_ms)),
  };
  log(action, instances.length, JSON.stringify(combined));
  return combined;
}

function freshDatabase() {
  const name = `bench_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const made = spawnSync('psql', [ADMIN, '-qc', `CREATE DATABASE ${name}`], { stdio: 'inherit' });
  if (made.status !== 0) throw new Error('CREATE DATABASE failed');
  return ADMIN.replace(/\/[^/]*$/, `/${name}`);
}

const setups = {
  sqlite1: async () => [await startInstance(null)],
  postgres1: async () => [await startInstance(freshDatabase())],
  postgres3: async () => {
    const url = freshDatabase();
    const first = await startInstance(url); // migrates; the others find the schema
    return [first, await startInstance(url), await startInstance(url)];
  },
};

const results = {};
for (const [name, setup] of Object.entries(setups)) {
  const instances = await setup();
  results[name] = {};
  for (const action of ['encrypt', 'import', 'create-key']) results[name][action] = await load(instances, action);
  for (const instance of instances) await instance.stop();
}

const out = process.argv.find((a) => a.startsWith('--out='));
if (out) writeFileSync(out.slice(6), JSON.stringify(results, null, 2));
else console.log(JSON.stringify(results, null, 2));
