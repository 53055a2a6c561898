// Starts a real `byok-kms serve` for the Node and browser tests: a fresh data directory, a free
// loopback port, a random access key, and the console and npm package served from this checkout.
// Needs `cargo build -p byok-kms` (make test does it).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = process.env.BYOK_KMS_BIN ?? join(ROOT, 'target/debug/byok-kms');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts byok-kms; `args` are extra `serve` flags. Resolves to `{ origin, accessKeyId,
 * accessKeySecret, awsAccessKeyId, awsSecretAccessKey, dataDir, log(), stop() }`.
 */
export async function startKms(args = []) {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run cargo build -p byok-kms`);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'byok-kms-'));
  const accessKeyId = `LTAI${randomBytes(10).toString('hex')}`;
  const accessKeySecret = randomBytes(24).toString('base64url');
  const awsAccessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const awsSecretAccessKey = randomBytes(30).toString('base64url');
  const env = { ...process.env, BYOK_KMS_ACCESS_KEY_ID: accessKeyId, BYOK_KMS_ACCESS_KEY_SECRET: accessKeySecret,
    BYOK_KMS_AWS_ACCESS_KEY_ID: awsAccessKeyId, BYOK_KMS_AWS_SECRET_ACCESS_KEY: awsSecretAccessKey,
    RUST_LOG: process.env.RUST_LOG ?? 'info' };
  delete env.BYOK_KMS_ROOT_KEY;
  const child = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir,
    '--www-dir', join(ROOT, 'www'), '--pkg-dir', join(ROOT, 'pkg'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${origin}/healthz`)).ok) break;
    } catch { /* not up yet */ }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`byok-kms did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    origin,
    accessKeyId,
    accessKeySecret,
    awsAccessKeyId,
    awsSecretAccessKey,
    dataDir,
    log: () => output,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Parses a byok-kms CiphertextBlob (see server/src/kms/ciphertext.rs). */
export function parseBlob(base64) {
  const bytes = Buffer.from(base64, 'base64');
  let at = 1;
  const field = () => {
    const len = bytes[at];
    const value = bytes.subarray(at + 1, at + 1 + len).toString('utf8');
    at += 1 + len;
    return value;
  };
  const keyId = field();
  const versionId = field();
  return { version: bytes[0], keyId, versionId, nonce: bytes.subarray(at, at + 12), ciphertext: bytes.subarray(at + 12, bytes.length - 16), tag: bytes.subarray(bytes.length - 16) };
}
