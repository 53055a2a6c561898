// The server half of `make bench`: byok-kms (release build) under load from byok-kms-load, which
// signs every request like the official SDK, beside the peers and limits measured in the same run:
// a bare axum handler returning constant JSON, and raw aws-lc-rs RSA-2048 OAEP decryption.
// Writes its figures as JSON (--out=FILE) for benches/run.mjs, which prints the table.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const POOL = Number(process.env.BENCH_POOL ?? 2400);
const SCALE_KEYS = Number(process.env.BENCH_KEYS ?? 100_000);

// The AWS access key pair the server is given, for the AWS door's figures.
const AWS_KEY = { id: 'AKIABENCHBENCHBENCH0', secret: 'bench'.repeat(8) };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.error('bench:', ...a);

function rss(pid) {
  try {
    const kb = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)[1];
    return Number(kb) / 1024;
  } catch {
    return 0;
  }
}

async function startServer(args = [], env = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'byok-bench-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(SERVER, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, ...args], {
    env: {
      ...process.env, BYOK_KMS_ACCESS_KEY_ID: 'bench', BYOK_KMS_ACCESS_KEY_SECRET: 'bench-secret', RUST_LOG: 'warn',
      BYOK_KMS_AWS_ACCESS_KEY_ID: AWS_KEY.id, BYOK_KMS_AWS_SECRET_ACCESS_KEY: AWS_KEY.secret, ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`${origin}/healthz`);
      if (r.ok) break;
    } catch { /* not yet */ }
    if (i > 300) throw new Error('byok-kms did not start');
    await sleep(100);
  }
  return {
    origin,
    pid: child.pid,
    async pool() {
      return (await (await fetch(`${origin}/healthz`)).json()).wrappingKeyPool;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs byok-kms-load against `origin`, sampling the server's resident memory meanwhile; with
 * `aws`, through the AWS door (SigV4) with the AWS pair.
 */
async function load(origin, pid, args, { aws = false } = {}) {
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, rss(pid)); }, 100);
  const key = aws
    ? ['--api', 'aws', '--access-key-id', AWS_KEY.id, '--access-key-secret', AWS_KEY.secret]
    : ['--access-key-id', 'bench', '--access-key-secret', 'bench-secret'];
  const child = spawn(LOAD, ['run', '--endpoint', origin, ...key,
    '--concurrency', String(CONCURRENCY), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  await new Promise((r) => child.once('exit', r));
  clearInterval(sampler);
  const result = JSON.parse(out.trim().split('\n').pop());
  result.rss_mb = Math.max(peak, rss(pid));
  if (result.errors > 0) throw new Error(`${args.join(' ')}: ${result.errors} errors`);
  log(JSON.stringify(result));
  return result;
}

const results = { machine: { cpus: (await import('node:os')).cpus().length } };

/**
 * Milliseconds from exec to a process's first stdout line and, when it names an address, to its
 * first HTTP answer; then the process is stopped.
 */
async function timeToServe(file, args) {
  const started = performance.now();
  const child = spawn(file, args, {
    env: { ...process.env, BYOK_KMS_ACCESS_KEY_ID: 'bench', BYOK_KMS_ACCESS_KEY_SECRET: 'bench-secret', RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  const line = await Promise.race([
    new Promise((r) => child.stdout.once('data', (d) => r(String(d).trim()))),
    exited.then(() => null),
  ]);
  const ready = performance.now() - started;
  let answered = null;
  if (line !== null) {
    const origin = line.startsWith('{') ? JSON.parse(line).listening : `http://${line}`;
    await fetch(`${origin}/healthz`);
    answered = performance.now() - started;
  }
  child.kill('SIGTERM');
  await exited;
  return line === null ? null : { ready, answered };
}

// Start-up: `serve --ephemeral` (a test suite's throwaway KMS) from exec to its ready line and to
// its first answer, beside the bare axum server's, median of 10 each. An older byok-kms
// (BYOK_BENCH_SERVER) without --ephemeral reports none.
{
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ours = [];
  const bareStarts = [];
  for (let i = 0; i < 10; i++) {
    const o = await timeToServe(SERVER, ['serve', '--ephemeral', '--listen', '127.0.0.1:0', '--ready-json']);
    if (o === null) break;
    ours.push(o);
    bareStarts.push(await timeToServe(LOAD, ['bare-server', '--listen', '127.0.0.1:0']));
  }
  results.start = ours.length === 0 ? null : {
    ready_ms: median(ours.map((o) => o.ready)),
    answered_ms: median(ours.map((o) => o.answered)),
    bare_answered_ms: median(bareStarts.map((o) => o.answered)),
  };
  log('start', JSON.stringify(results.start));
}

// The peers and limits are measured beside ours, round after round: these machines drift by tens
// of percent within a minute, so each ratio is taken within a round, and the round with the
// median ratio is reported.
const rawDecrypt = () => {
  const out = JSON.parse(spawnSync(LOAD, ['raw-decrypt', '--threads', '2', '--duration', '3'], { encoding: 'utf8' }).stdout);
  log('raw decrypt', out.per_second);
  return out.per_second;
};
const bare = spawn(LOAD, ['bare-server', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const bareAddress = await new Promise((r) => bare.stdout.once('data', (d) => r(String(d).trim())));
const loadBare = () => load(`http://${bareAddress}`, bare.pid, ['--action', 'encrypt', '--key-id', 'unused', '--duration', String(SECONDS)]);

// byok-kms: wait for the wrapping key pool to fill, timing the refill.
const server = await startServer(['--wrapping-key-pool', String(POOL), '--pool-threads', '2']);
results.idleRssMb = rss(server.pid);
const fillStart = Date.now();
let pool = 0;
while ((pool = await server.pool()) < POOL) await sleep(500);
results.poolRefillPerSecond = pool / ((Date.now() - fillStart) / 1000);
log('pool filled', pool, 'at', results.poolRefillPerSecond.toFixed(1), '/s');
results.idleRssMb = Math.max(results.idleRssMb, rss(server.pid));

const ROUNDS = 3;
// All rounds together take fewer pairs than half the pool, so that no refill (it starts below
// half) competes with the loads.
const perRound = Math.floor((POOL * 0.45) / ROUNDS) - 2 * CONCURRENCY;
// The AWS door's Import and Encrypt beside the Alibaba door's, in the same round (an older
// byok-kms without the AWS door, under benches/compare.mjs, reports none).
const viaAws = async (args) => {
  try {
    return await load(server.origin, server.pid, args, { aws: true });
  } catch (e) {
    log('AWS door:', e.message);
    return null;
  }
};
const rounds = [];
for (let round = 0; round < ROUNDS; round++) {
  const bareRun = await loadBare();
  rounds.push({
    bare: bareRun,
    getParameters: await load(server.origin, server.pid, ['--action', 'get-parameters', '--requests', String(perRound)]),
    raw: rawDecrypt(),
    // One pair per client, then re-imports with it.
    import: await load(server.origin, server.pid, ['--action', 'import', '--duration', String(SECONDS)]),
    awsImport: await viaAws(['--action', 'import', '--duration', String(SECONDS)]),
    encrypt: await load(server.origin, server.pid, ['--action', 'encrypt', '--duration', String(SECONDS)]),
    awsEncrypt: await viaAws(['--action', 'encrypt', '--duration', String(SECONDS)]),
    decrypt: await load(server.origin, server.pid, ['--action', 'decrypt', '--duration', String(SECONDS)]),
  });
}
bare.kill();
/** The round of `list` (default: the rounds above) whose `ratio` is the median of all of them. */
const medianRound = (ratio, list = rounds) => [...list].sort((a, b) => ratio(a) - ratio(b))[Math.floor(list.length / 2)];
let r = medianRound((x) => x.getParameters.p99_ms / x.bare.p99_ms);
results.getParameters = { ...r.getParameters, bare: r.bare, allP99: rounds.map((x) => x.getParameters.p99_ms) };
r = medianRound((x) => x.import.rps / x.raw);
results.import = { ...r.import, raw: r.raw, allRatios: rounds.map((x) => x.import.rps / x.raw) };
r = medianRound((x) => x.encrypt.rps / x.bare.rps);
results.encrypt = { ...r.encrypt, bare: r.bare, allRatios: rounds.map((x) => x.encrypt.rps / x.bare.rps) };
r = medianRound((x) => x.decrypt.rps / x.bare.rps);
results.decrypt = { ...r.decrypt, bare: r.bare, allRatios: rounds.map((x) => x.decrypt.rps / x.bare.rps) };
if (rounds.every((x) => x.awsImport && x.awsEncrypt)) {
  r = medianRound((x) => x.awsImport.rps / x.import.rps);
  results.awsImport = { ...r.awsImport, alibaba: r.import, allRatios: rounds.map((x) => x.awsImport.rps / x.import.rps) };
  r = medianRound((x) => x.awsEncrypt.rps / x.encrypt.rps);
  results.awsEncrypt = { ...r.awsEncrypt, alibaba: r.encrypt, allRatios: rounds.map((x) => x.awsEncrypt.rps / x.encrypt.rps) };
}
for (const action of ['getParameters', 'import', 'encrypt', 'decrypt']) {
  results[action].rss_mb = Math.max(...rounds.map((x) => x[action].rss_mb));
}

// HSM keys (ProtectionLevel HSM, on a throwaway SoftHSM2 token) beside software keys on the same
// server, round after round: ImportKeyMaterial and Encrypt. SoftHSM2 is software too, so this is
// the PKCS#11 path's overhead (one session, calls in turn), not a hardware module's speed. An
// older byok-kms without --hsm-module, under benches/compare.mjs, reports none.
results.hsm = await (async () => {
  const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';
  const dir = mkdtempSync(join(tmpdir(), 'byok-bench-hsm-'));
  const conf = join(dir, 'softhsm2.conf');
  mkdirSync(join(dir, 'tokens'));
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const env = { SOFTHSM2_CONF: conf, BYOK_KMS_HSM_PIN: 'bench-pin' };
  const init = spawnSync('softhsm2-util', ['--init-token', '--free', '--label', 'bench', '--pin', 'bench-pin', '--so-pin', 'bench-so-pin'],
    { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`softhsm2-util --init-token: ${init.stderr}`);
  let hsmServer;
  try {
    hsmServer = await startServer(['--wrapping-key-pool', '64', '--hsm-module', SOFTHSM, '--hsm-token', 'bench'], env);
  } catch (e) {
    // An older byok-kms (benches/compare.mjs) has no --hsm-module: said, and no row 13.
    log('HSM: no HSM figures:', e.message);
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  const at = (level, action) => load(hsmServer.origin, hsmServer.pid,
    ['--action', action, '--protection-level', level, '--duration', String(SECONDS)]);
  const hsmRounds = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      hsmRounds.push({
        softwareImport: await at('SOFTWARE', 'import'), hsmImport: await at('HSM', 'import'),
        softwareEncrypt: await at('SOFTWARE', 'encrypt'), hsmEncrypt: await at('HSM', 'encrypt'),
      });
    }
  } finally {
    await hsmServer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const importRatio = (x) => x.hsmImport.rps / x.softwareImport.rps;
  const encryptRatio = (x) => x.hsmEncrypt.rps / x.softwareEncrypt.rps;
  const i = medianRound(importRatio, hsmRounds);
  const e = medianRound(encryptRatio, hsmRounds);
  return {
    import: { ...i.hsmImport, software: i.softwareImport, allRatios: hsmRounds.map(importRatio) },
    encrypt: { ...e.hsmEncrypt, software: e.softwareEncrypt, allRatios: hsmRounds.map(encryptRatio) },
  };
})();

// Scale: the same calls with about 100 keys, then with SCALE_KEYS keys, in this account.
results.small = {
  describe: await load(server.origin, server.pid, ['--action', 'describe', '--duration', String(SECONDS)]),
  encrypt: await load(server.origin, server.pid, ['--action', 'encrypt', '--duration', String(SECONDS)]),
  listFirst: await load(server.origin, server.pid, ['--action', 'list-keys', '--page-number', '1', '--duration', String(SECONDS)]),
};
log(`creating ${SCALE_KEYS} keys`);
results.populate = await load(server.origin, server.pid, ['--action', 'create-key', '--requests', String(SCALE_KEYS)]);
results.large = {
  describe: await load(server.origin, server.pid, ['--action', 'describe', '--duration', String(SECONDS)]),
  encrypt: await load(server.origin, server.pid, ['--action', 'encrypt', '--duration', String(SECONDS)]),
  listFirst: await load(server.origin, server.pid, ['--action', 'list-keys', '--page-number', '1', '--duration', String(SECONDS)]),
  listLast: await load(server.origin, server.pid, ['--action', 'list-keys', '--page-number', String(Math.floor(SCALE_KEYS / 100)), '--duration', String(SECONDS)]),
};
results.finalRssMb = rss(server.pid);
await server.stop();

const out = process.argv.find((a) => a.startsWith('--out='));
if (out) writeFileSync(out.slice(6), JSON.stringify(results, null, 2));
else console.log(JSON.stringify(results, null, 2));
