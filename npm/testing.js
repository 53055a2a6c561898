// byok-wrap/testing (Node only): a throwaway byok-kms for a test suite, started in one line.
//
//   const kms = await startKms();   // { endpoint, accessKeyId, accessKeySecret, awsAccessKeyId, awsSecretAccessKey, stop }
//   ...
//   await kms.stop();
//
// With { seed } (an object, or the path of a JSON file) the server starts with that known world
// (byok-kms serve --seed: accounts, keys with known material, aliases, tags) and the credentials
// returned are those of the seed's first account; an object is written to a private temporary
// file that is removed as soon as the server has started or failed to.
//
// The server runs with --ephemeral (its state in a temporary directory it removes when it exits),
// --listen 127.0.0.1:0 (a free port) and --ready-json (one line on stdout once it serves, read
// here instead of a banner), with fresh access keys (Alibaba's and AWS's) generated here and handed over in its
// environment, never on a command line.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const running = new Set();

// Whatever the test runner does at the end, no server outlives the process that started it.
process.once('exit', () => {
  for (const child of running) child.kill('SIGTERM');
});

/** The byok-kms binary: `binary`, else $BYOK_KMS_BIN, else `byok-kms` on PATH. */
function findBinary(binary) {
  if (binary) return binary;
  if (process.env.BYOK_KMS_BIN) return process.env.BYOK_KMS_BIN;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir || '.', 'byok-kms');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch { /* not here */ }
  }
  throw new Error('startKms: no byok-kms binary: pass { binary }, set BYOK_KMS_BIN or put byok-kms on PATH');
}

/**
 * Fresh access keys of the forms byok-kms generates: the Alibaba pair (LTAI… id, 30-character
 * secret) and the AWS pair (AKIA… id, 40-character secret).
 */
function freshAccessKeys() {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const text = (n, letters = alphabet) => [...randomBytes(n)].map((b) => letters[b % letters.length]).join('');
  return {
    accessKeyId: `LTAI${text(20)}`,
    accessKeySecret: text(30),
    awsAccessKeyId: `AKIA${text(16, alphabet.slice(0, 26) + alphabet.slice(52))}`,
    awsSecretAccessKey: text(40),
  };
}

/**
 * The seed to start with: its file (written to a private temporary directory when `seed` is an
 * object, with a `remove()` for it) and the credentials of its first account.
 */
function seedFile(seed) {
  if (typeof seed === 'string') {
    let parsed;
    try {
      parsed = JSON.parse(readFileSync(seed, 'utf8'));
    } catch (e) {
      throw new Error(`startKms: the seed file ${seed} cannot be read as JSON: ${e.message}`);
    }
    return { path: seed, first: parsed?.accounts?.[0], remove() {} };
  }
  if (typeof seed !== 'object' || seed === null || Array.isArray(seed)) {
    throw new TypeError('startKms: seed must be a seed object ({ accounts: [...] }) or the path of a seed file');
  }
  const dir = mkdtempSync(join(tmpdir(), 'byok-kms-seed-'));
  const path = join(dir, 'seed.json');
  try {
    writeFileSync(path, JSON.stringify(seed), { mode: 0o600 });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { path, first: seed.accounts?.[0], remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts a throwaway byok-kms and resolves once it serves.
 * @param {{ binary?: string, seed?: object | string, args?: string[], env?: Record<string, string> }} [options]
 * @returns {Promise<{ endpoint: string, accessKeyId: string, accessKeySecret: string, awsAccessKeyId: string, awsSecretAccessKey: string, stop(): Promise<void> }>}
 */
export async function startKms(options = {}) {
  const { binary, seed, args = [], env = {} } = options;
  const file = findBinary(binary);
  const seeded = seed === undefined ? undefined : seedFile(seed);
  try {
    return await start(file, seeded, args, env);
  } finally {
    // The server has read the seed (or failed to start): its secrets need not stay on disk.
    seeded?.remove();
  }
}

async function start(file, seeded, args, env) {
  const credentials = seeded
    ? {
        accessKeyId: seeded.first?.accessKeyId,
        accessKeySecret: seeded.first?.accessKeySecret,
        awsAccessKeyId: seeded.first?.awsAccessKeyId,
        awsSecretAccessKey: seeded.first?.awsSecretAccessKey,
      }
    : freshAccessKeys();
  const { BYOK_KMS_ACCESS_KEY_ID: _, BYOK_KMS_ACCESS_KEY_SECRET: __, BYOK_KMS_AWS_ACCESS_KEY_ID: ___,
    BYOK_KMS_AWS_SECRET_ACCESS_KEY: ____, ...inherited } = process.env;
  const child = spawn(file, ['serve', '--ephemeral', '--listen', '127.0.0.1:0', '--ready-json',
    ...(seeded ? ['--seed', seeded.path] : []), ...args], {
    env: {
      ...inherited,
      RUST_LOG: process.env.RUST_LOG ?? 'warn',
      ...env,
      // With a seed, its accounts are the server's; without, a fresh default account.
      ...(seeded ? {} : {
        BYOK_KMS_ACCESS_KEY_ID: credentials.accessKeyId,
        BYOK_KMS_ACCESS_KEY_SECRET: credentials.accessKeySecret,
        BYOK_KMS_AWS_ACCESS_KEY_ID: credentials.awsAccessKeyId,
        BYOK_KMS_AWS_SECRET_ACCESS_KEY: credentials.awsSecretAccessKey,
      }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  // 'close', not 'exit': by then stderr has been read to its end, so a refusal's message is whole.
  const exited = new Promise((resolve) => child.once('close', (code, signal) => {
    running.delete(child);
    resolve({ code, signal });
  }));
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const ready = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`startKms: ${file} did not report ready within ${READY_TIMEOUT_MS} ms\n${stderr}`));
    }, READY_TIMEOUT_MS);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`startKms: cannot run ${file}: ${e.message}`));
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`startKms: ${file} exited (${signal ?? `code ${code}`}) before serving\n${stderr}`));
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      out += d;
      const end = out.indexOf('\n');
      if (end < 0) return;
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.slice(0, end)));
      } catch (e) {
        child.kill('SIGKILL');
        reject(new Error(`startKms: ${file} printed no ready line (${e.message}): ${out.slice(0, end)}`));
      }
    });
  });
  const same = (a) => (a.accessKeyId ?? undefined) === credentials.accessKeyId
    && (a.awsAccessKeyId ?? undefined) === credentials.awsAccessKeyId;
  if (!(seeded ? ready.accounts?.[0] && same(ready.accounts[0]) : ready.accounts?.some(same))) {
    child.kill('SIGTERM');
    throw new Error('startKms: the server does not serve the access keys it was given');
  }
  let stopping;
  return {
    endpoint: ready.listening,
    ...credentials,
    /** Stops the server (SIGTERM; SIGKILL if it has not exited within 5 s); it removes its state. */
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
