// What the Node SDK tests share: a real `byok-kms serve` on a free loopback port (one per test
// file), the openssl commands of the cloud's import guide, and a recording proxy that shows what
// a client sends on the wire. Not a test file (node --test only runs *.test.mjs here).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BIN = process.env.BYOK_KMS_BIN ?? 'target/debug/byok-kms';

export const OPENSSL_PADDING = {
  RSAES_OAEP_SHA_256: ['-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256',
    '-pkeyopt', 'rsa_mgf1_md:sha256'],
  RSAES_OAEP_SHA_1: ['-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha1',
    '-pkeyopt', 'rsa_mgf1_md:sha1'],
};

export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts `byok-kms serve` with a fresh data directory, made-up access keys (Alibaba's and AWS's)
 * and no console files, and waits until GET /healthz answers (30 s at most).
 */
export async function startServer(prefix = 'byok-node-sdk-') {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const port = await freePort();
  const endpoint = `127.0.0.1:${port}`;
  const accessKeyId = 'LTAI' + randomBytes(10).toString('hex');
  const secret = randomBytes(18).toString('base64url');
  const awsAccessKeyId = 'AKIA' + randomBytes(8).toString('hex').toUpperCase();
  const awsSecretAccessKey = randomBytes(30).toString('base64url');
  const env = { ...process.env, BYOK_KMS_ACCESS_KEY_ID: accessKeyId,
    BYOK_KMS_ACCESS_KEY_SECRET: secret, BYOK_KMS_AWS_ACCESS_KEY_ID: awsAccessKeyId,
    BYOK_KMS_AWS_SECRET_ACCESS_KEY: awsSecretAccessKey, RUST_LOG: 'info' };
  delete env.BYOK_KMS_ROOT_KEY;
  const logPath = join(work, 'server.log');
  const log = openSync(logPath, 'w');
  const child = spawn(BIN, ['serve', '--listen', endpoint, '--data-dir', join(work, 'data'),
    '--www-dir', join(work, 'no-www')], { env, stdio: ['ignore', log, log] });
  let exited = null;
  const exit = new Promise((resolve) => child.on('exit', (code, signal) => {
    exited = { code, signal };
    resolve(exited);
  }));
  child.on('error', (error) => { exited = { error }; });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const reply = await fetch(`http://${endpoint}/healthz`);
      await reply.arrayBuffer();
      if (reply.ok) break;
    } catch { /* not yet listening */ }
    if (exited || Date.now() > deadline) {
      throw new Error(`byok-kms did not start (${JSON.stringify(exited)}); see ${logPath}:\n` +
        readFileSync(logPath, 'utf8'));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    endpoint, port, accessKeyId, secret, awsAccessKeyId, awsSecretAccessKey, work,
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        await exit;
      }
      rmSync(work, { recursive: true, force: true });
    },
  };
}

function openssl(cwd, ...args) {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** `openssl rand -out KeyMaterial.bin 32`, as in the guide; returns the bytes. */
export function newMaterial(cwd) {
  openssl(cwd, 'rand', '-out', 'KeyMaterial.bin', '32');
  return readFileSync(join(cwd, 'KeyMaterial.bin'));
}

/**
 * Wraps cwd/KeyMaterial.bin under GetParametersForImport's PublicKey (base64 DER) with the guide's
 * `openssl pkeyutl -encrypt` and `openssl enc -e -base64 -A`; returns the base64 text.
 */
export function wrapMaterial(publicKey, algorithm, cwd) {
  writeFileSync(join(cwd, 'PublicKey.bin'), Buffer.from(publicKey, 'base64'));
  openssl(cwd, 'pkeyutl', '-encrypt', '-in', 'KeyMaterial.bin', '-inkey', 'PublicKey.bin',
    '-keyform', 'DER', '-pubin', '-out', 'EncryptedKeyMaterial.bin', ...OPENSSL_PADDING[algorithm]);
  openssl(cwd, 'enc', '-e', '-base64', '-A', '-in', 'EncryptedKeyMaterial.bin',
    '-out', 'EncryptedKeyMaterial_base64.txt');
  return readFileSync(join(cwd, 'EncryptedKeyMaterial_base64.txt'), 'utf8');
}

// AWS's openssl recipes ("Encrypt key material with OpenSSL" in the KMS developer guide):
// KeyMaterial.bin under WrappingPublicKey.bin (DER) into EncryptedKeyMaterial.bin; $MD is sha256
// or sha1. The same commands as server/tests/sdk/test_aws_cli.py runs.
const AWS_RSAES_OAEP = `
openssl pkeyutl -encrypt -in KeyMaterial.bin -out EncryptedKeyMaterial.bin \\
    -inkey WrappingPublicKey.bin -keyform DER -pubin \\
    -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:$MD -pkeyopt rsa_mgf1_md:$MD
`;
const AWS_RSA_AES_KEY_WRAP = `
openssl rand -out aes-key.bin 32
openssl enc -id-aes256-wrap-pad -K "$(xxd -p -c 64 aes-key.bin)" -iv A65959A6 \\
    -in KeyMaterial.bin -out key-material-wrapped.bin
openssl pkeyutl -encrypt -in aes-key.bin -out aes-key-wrapped.bin \\
    -inkey WrappingPublicKey.bin -keyform DER -pubin \\
    -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:$MD -pkeyopt rsa_mgf1_md:$MD
cat aes-key-wrapped.bin key-material-wrapped.bin > EncryptedKeyMaterial.bin
`;
export const AWS_OPENSSL = {
  RSAES_OAEP_SHA_256: 'MD=sha256\n' + AWS_RSAES_OAEP,
  RSAES_OAEP_SHA_1: 'MD=sha1\n' + AWS_RSAES_OAEP,
  RSA_AES_KEY_WRAP_SHA_256: 'MD=sha256\n' + AWS_RSA_AES_KEY_WRAP,
  RSA_AES_KEY_WRAP_SHA_1: 'MD=sha1\n' + AWS_RSA_AES_KEY_WRAP,
};

/**
 * Wraps `material` under GetParametersForImport's PublicKey (DER bytes) with AWS's openssl recipe
 * for `algorithm`, in `cwd`; returns EncryptedKeyMaterial's bytes.
 */
export function awsOpensslWrap(publicKey, algorithm, material, cwd) {
  writeFileSync(join(cwd, 'WrappingPublicKey.bin'), publicKey);
  writeFileSync(join(cwd, 'KeyMaterial.bin'), material);
  execFileSync('bash', ['-euo', 'pipefail', '-c', AWS_OPENSSL[algorithm]], { cwd, stdio: 'pipe' });
  return readFileSync(join(cwd, 'EncryptedKeyMaterial.bin'));
}

/**
 * A loopback HTTP proxy in front of `targetPort` that keeps each request as the client sent it,
 * `{method, target, headers: [[name, value], ...] (as sent), body}`, and forwards it unchanged (so
 * signatures still verify).
 */
export async function recordingProxy(targetPort) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
      }
      requests.push({ method: req.method, target: req.url, headers, body: body.toString() });
      const upstream = http.request({ host: '127.0.0.1', port: targetPort, method: req.method,
        path: req.url, headers: req.rawHeaders, setHost: false }, (reply) => {
        res.writeHead(reply.statusCode, reply.rawHeaders);
        reply.pipe(res);
      });
      upstream.on('error', (error) => { res.destroy(error); });
      upstream.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    endpoint: `127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

/** The query parameters of a recorded request, decoded. */
export function queryOf(request) {
  return Object.fromEntries(new URL(request.target, 'http://x').searchParams);
}

/** With BYOK_SDK_WIRE_DIR set, writes the recorded requests to <dir>/<client>.txt. */
export function writeWire(client, requests) {
  const folder = process.env.BYOK_SDK_WIRE_DIR;
  if (!folder) return;
  mkdirSync(folder, { recursive: true });
  const text = requests.map((r) => `${r.method} ${r.target}\n` +
    r.headers.map(([n, v]) => `${n}: ${v}\n`).join('') + `\n${r.body}\n`).join('\n');
  writeFileSync(join(folder, `${client}.txt`), text);
}
