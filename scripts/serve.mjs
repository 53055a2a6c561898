// A small static server for the demo page (`make run`), the browser tests and the benchmarks:
// `/` serves www/, `/pkg/` serves the npm package, with the security headers of DESIGN.md.
// byok-kms serves the console itself once it exists; this stays for the package's own tests.
//
// CLI: node scripts/serve.mjs [--port 8080] [--host 127.0.0.1]
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; style-src 'self'; " +
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ts': 'text/plain; charset=utf-8',
};

/**
 * Starts the server. `mounts` maps URL prefixes to directories (relative to the repository);
 * the longest matching prefix wins; `headers` override the security headers (tests of
 * cross-origin pages). Resolves to the listening `http.Server`.
 */
export function serve({ port = 0, host = '127.0.0.1', mounts = { '/': 'www', '/pkg/': 'pkg' }, headers = {} } = {}) {
  const table = Object.entries(mounts).sort(([a], [b]) => b.length - a.length);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const send = (status, type, body) => {
      res.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS, ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    const [prefix, dir] = table.find(([p]) => url.pathname.startsWith(p)) ?? [];
    if (!prefix) return send(404, 'text/plain', 'not found\n');
    let rel = decodeURIComponent(url.pathname.slice(prefix.length));
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    const base = join(root, dir);
    const file = normalize(join(base, rel));
    if (!file.startsWith(base + sep)) return send(404, 'text/plain', 'not found\n');
    try {
      send(200, TYPES[extname(file)] ?? 'application/octet-stream', await readFile(file));
    } catch {
      send(404, 'text/plain', 'not found\n');
    }
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i === -1 ? fallback : process.argv[i + 1];
  };
  const server = await serve({ port: Number(arg('--port', 8080)), host: arg('--host', '127.0.0.1') });
  const { address, port } = server.address();
  console.log(`byok-wrap demo: http://${address}:${port}/   (Ctrl-C stops it)`);
}
