// `make bench`: byok-wrap in one headless Chromium run, beside its peers in the same run.
//   - warm wrap: RSA-2048 OAEP-SHA-256 of 32 bytes per call — ours vs WebCrypto vs node-forge,
//     each timed in batches (performance.now() is coarsened to 0.1 ms outside isolated pages);
//   - hybrid wrap: RSA_AES_KEY_WRAP_SHA_256 (RSA-2048) of a 32-byte key and of an RSA-4096 PKCS#8
//     private key — ours (async: WebCrypto does the RSA part; sync: all wasm) vs WebCrypto RSA-OAEP
//     + @noble/ciphers AES-KWP doing the same, base64 included on both sides;
//   - cold start: fetch + compile + instantiate + first wrap in a fresh browser context, median;
//   - size of every file of pkg/, raw and gzipped, beside node-forge's bundle.
// Prints a table with ratios; `--json` prints the figures as JSON as well. Never part of `make test`.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { serve } from '../../scripts/serve.mjs';
import { launch } from '../../tests/e2e/chromium.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const BATCH = 200;
const ROUNDS = 11;
const COLD_RUNS = 15;

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const server = await serve({
  mounts: { '/': 'benches/browser', '/pkg/': 'pkg', '/forge/': 'node_modules/node-forge/dist', '/noble/': 'node_modules/@noble/ciphers' },
});
const origin = `http://127.0.0.1:${server.address().port}`;
const browser = await launch();

try {
  // ---- warm wrap -------------------------------------------------------------------------------
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  await page.addScriptTag({ url: '/forge/forge.min.js' });
  const warm = await page.evaluate(async ({ BATCH, ROUNDS }) => {
    const m = await import('/pkg/byok_wrap.js');
    await m.default();
    const pair = await crypto.subtle.generateKey(
      { name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true, ['encrypt', 'decrypt']);
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
    const base64 = btoa(String.fromCharCode(...spki));
    const pem = `-----BEGIN PUBLIC KEY-----\n${base64.replace(/.{1,64}/g, '$&\n')}-----END PUBLIC KEY-----\n`;
    const material = crypto.getRandomValues(new Uint8Array(32));
    const forgeKey = forge.pki.publicKeyFromPem(pem);
    const materialString = String.fromCharCode(...material);
    const webcryptoKey = await crypto.subtle.importKey('spki', spki, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);

    const contenders = {
      ours: async () => m.wrapKeyMaterialAsync({ material, publicKey: base64 }),
      oursWasm: async () => m.wrapKeyMaterial({ material, publicKey: base64 }),
      webcrypto: async () => crypto.subtle.encrypt({ name: 'RSA-OAEP' }, webcryptoKey, material),
      forge: async () => forgeKey.encrypt(materialString, 'RSA-OAEP', {
        md: forge.md.sha256.create(), mgf1: { md: forge.md.sha256.create() },
      }),
    };
    // Round-robin: every contender runs one batch per round, so that the machine's drifting load
    // falls on all of them alike; the median batch counts.
    const rounds = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
    for (const fn of Object.values(contenders)) for (let i = 0; i < 20; i++) await fn(); // warm up
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, fn] of Object.entries(contenders)) {
        const t0 = performance.now();
        for (let i = 0; i < BATCH; i++) await fn();
        rounds[name].push((performance.now() - t0) / BATCH);
      }
    }
    const perCall = Object.fromEntries(Object.entries(rounds).map(([name, xs]) => [name, xs.sort((a, b) => a - b)[xs.length >> 1]]));
    return perCall;
  }, { BATCH, ROUNDS });

  // ---- hybrid wrap (RSA-OAEP + AES-KWP) --------------------------------------------------------
  const hybrid = await page.evaluate(async ({ BATCH, ROUNDS }) => {
    const m = await import('/pkg/byok_wrap.js');
    const { aeskwp } = await import('/noble/aes.js');
    await m.default();
    const pair = await crypto.subtle.generateKey(
      { name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true, ['encrypt', 'decrypt']);
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
    const publicKey = btoa(String.fromCharCode(...spki));
    const webcryptoKey = await crypto.subtle.importKey('spki', spki, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
    const rsa4096 = await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 4096, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign']);
    const inputs = {
      key32: crypto.getRandomValues(new Uint8Array(32)),
      rsa4096: new Uint8Array(await crypto.subtle.exportKey('pkcs8', rsa4096.privateKey)),
    };
    const base64 = (bytes) => {
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(text);
    };
    // The peer: what a page would write with WebCrypto and @noble/ciphers.
    const peer = async (material) => {
      const aesKey = crypto.getRandomValues(new Uint8Array(32));
      const rsaPart = new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, webcryptoKey, aesKey));
      const kwp = aeskwp(aesKey).encrypt(material);
      aesKey.fill(0);
      const out = new Uint8Array(rsaPart.length + kwp.length);
      out.set(rsaPart);
      out.set(kwp, rsaPart.length);
      return base64(out);
    };
    const results = {};
    for (const [name, material] of Object.entries(inputs)) {
      const what = name === 'key32' ? { material } : { privateKey: material };
      const contenders = {
        ours: async () => m.wrapForImportAsync({ ...what, publicKey, algorithm: 'RSA_AES_KEY_WRAP_SHA_256' }),
        oursWasm: async () => m.wrapForImport({ ...what, publicKey, algorithm: 'RSA_AES_KEY_WRAP_SHA_256' }),
        peer: async () => peer(material),
      };
      const rounds = Object.fromEntries(Object.keys(contenders).map((c) => [c, []]));
      for (const fn of Object.values(contenders)) for (let i = 0; i < 10; i++) await fn();
      const batch = BATCH / 4;
      for (let r = 0; r < ROUNDS; r++) {
        for (const [c, fn] of Object.entries(contenders)) {
          const t0 = performance.now();
          for (let i = 0; i < batch; i++) await fn();
          rounds[c].push((performance.now() - t0) / batch);
        }
      }
      results[name] = Object.fromEntries(Object.entries(rounds).map(([c, xs]) => [c, xs.sort((a, b) => a - b)[xs.length >> 1]]));
      results[name].bytes = material.length;
    }
    return results;
  }, { BATCH, ROUNDS });
  await page.close();

  // ---- cold start ------------------------------------------------------------------------------
  // Each run is a fresh browser context (no HTTP, code or module cache). Measured there, in order:
  // the network floor (one fetch of a tiny file), the browser's one-time module loader start-up
  // (the first import of an empty module: paid by any page with modules, not by a package), then
  // each contender's load + first wrap.
  const cold = { ours: [], forge: [], webcrypto: [], fetch: [], loader: [] };
  for (let run = 0; run < COLD_RUNS; run++) {
    const context = await browser.newContext();
    const p = await context.newPage();
    await p.goto(`${origin}/`);
    const times = await p.evaluate(async () => {
      const pair = await crypto.subtle.generateKey(
        { name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
        true, ['encrypt', 'decrypt']);
      const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
      const base64 = btoa(String.fromCharCode(...spki));
      const pem = `-----BEGIN PUBLIC KEY-----\n${base64.replace(/.{1,64}/g, '$&\n')}-----END PUBLIC KEY-----\n`;
      const material = crypto.getRandomValues(new Uint8Array(32));

      let t0 = performance.now();
      await (await fetch('/empty.js?fetch')).text();
      const fetchFloor = performance.now() - t0;
      t0 = performance.now();
      await import('/empty.js');
      const loader = performance.now() - t0;

      // The recommended way to load: fetch the .wasm while the module loads, and let
      // instantiateStreaming compile it as it arrives.
      t0 = performance.now();
      const wasm = fetch('/pkg/byok_wrap_bg.wasm');
      const m = await import('/pkg/byok_wrap.js');
      await m.default({ module_or_path: wasm });
      await m.wrapKeyMaterialAsync({ material, publicKey: base64 });
      const ours = performance.now() - t0;

      t0 = performance.now();
      await new Promise((resolve, reject) => {
        const s = document.createElement('script');
        s.src = '/forge/forge.min.js';
        s.onload = resolve;
        s.onerror = reject;
        document.head.append(s);
      });
      forge.pki.publicKeyFromPem(pem).encrypt(String.fromCharCode(...material), 'RSA-OAEP', {
        md: forge.md.sha256.create(), mgf1: { md: forge.md.sha256.create() },
      });
      const forgeTime = performance.now() - t0;

      t0 = performance.now();
      const key = await crypto.subtle.importKey('spki', spki, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
      await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, key, material);
      const webcrypto = performance.now() - t0;
      return { ours, forge: forgeTime, webcrypto, fetch: fetchFloor, loader };
    });
    for (const k of Object.keys(cold)) cold[k].push(times[k]);
    await context.close();
  }
  const coldMedian = Object.fromEntries(Object.entries(cold).map(([k, v]) => [k, median(v)]));

  // ---- size ------------------------------------------------------------------------------------
  const sizes = readdirSync(join(root, 'pkg')).filter((f) => statSync(join(root, 'pkg', f)).isFile()).map((file) => {
    const bytes = readFileSync(join(root, 'pkg', file));
    return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  const forgeBytes = readFileSync(join(root, 'node_modules/node-forge/dist/forge.min.js'));
  const forgeSize = { raw: forgeBytes.length, gzip: gzipSync(forgeBytes, { level: 9 }).length };

  // ---- report ----------------------------------------------------------------------------------
  const ms = (x) => `${x.toFixed(3)} ms`;
  const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
  const rows = [
    ['warm wrap, per call', ms(warm.ours), ms(warm.webcrypto), ratio(warm.ours, warm.webcrypto), ms(warm.forge), ratio(warm.ours, warm.forge)],
    ['warm wrap, wasm path (sync)', ms(warm.oursWasm), ms(warm.webcrypto), ratio(warm.oursWasm, warm.webcrypto), ms(warm.forge), ratio(warm.oursWasm, warm.forge)],
    ['cold start + first wrap (median)', ms(coldMedian.ours), ms(coldMedian.webcrypto), ratio(coldMedian.ours, coldMedian.webcrypto), ms(coldMedian.forge), ratio(coldMedian.ours, coldMedian.forge)],
  ];
  for (const [name, h] of Object.entries(hybrid)) {
    const label = name === 'key32' ? '32-byte key' : `RSA-4096 PKCS#8 (${h.bytes} B)`;
    rows.push([`RSA_AES_KEY_WRAP_SHA_256, ${label}, async`, ms(h.ours), `${ms(h.peer)} (WebCrypto + noble KWP)`, ratio(h.ours, h.peer), '', '']);
    rows.push([`RSA_AES_KEY_WRAP_SHA_256, ${label}, wasm`, ms(h.oursWasm), `${ms(h.peer)} (WebCrypto + noble KWP)`, ratio(h.oursWasm, h.peer), '', '']);
  }
  rows.push(['(context) one fetch of a tiny file, fresh context', ms(coldMedian.fetch), '', '', '', '']);
  rows.push(['(context) first module import (excluded above)', ms(coldMedian.loader), '', '', '', '']);
  const version = (await browser.version());
  console.log(`\nbyok-wrap in headless Chromium ${version}: RSA-2048 OAEP-SHA-256, 32-byte material`);
  console.log(`(warm: median of ${ROUNDS} batches of ${BATCH} sequential calls; cold: median of ${COLD_RUNS} fresh contexts)\n`);
  table(['figure', 'ours', 'WebCrypto', 'ours/WebCrypto', 'node-forge', 'ours/node-forge'], rows);
  console.log('');
  table(['pkg/ file', 'raw bytes', 'gzip -9 bytes'], [...sizes.map((s) => [s.file, String(s.raw), String(s.gzip)]), ['(peer) node-forge forge.min.js', String(forgeSize.raw), String(forgeSize.gzip)]]);
  const results = { chromium: version, warm, hybrid, cold: coldMedian, sizes, forgeSize };
  if (process.argv.includes('--json')) console.log(JSON.stringify(results, null, 2));
  const out = process.argv.find((a) => a.startsWith('--out='));
  if (out) writeFileSync(out.slice(6), JSON.stringify(results, null, 2));
} finally {
  await browser.close();
  server.close();
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}
