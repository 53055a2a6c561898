// `make bench`: runs the browser and the server benchmarks and prints one table — figure, ours,
// the peer or limit measured in the same run, the ratio, the goal, and whether it was met.
// Every figure is a ratio against something measured on this machine in this run, because
// absolute times on shared machines do not compare across runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'byok-bench-'));

function run(script, file) {
  const out = join(dir, file);
  const result = spawnSync(process.execPath, [join(root, script), `--out=${out}`], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`${script} failed`);
  return JSON.parse(readFileSync(out, 'utf8'));
}

const only = process.argv[2];
const browser = only === 'server' ? null : run('benches/browser/bench.mjs', 'browser.json');
const server = only === 'browser' ? null : run('benches/server/bench.mjs', 'server.json');
const scale = only === 'browser' ? null : run('benches/server/scale.mjs', 'scale.json');

const ms = (x) => `${x.toFixed(3)} ms`;
const rows = [];
const row = (figure, ours, peer, ratio, goal, met) => rows.push([figure, ours, peer, ratio === null ? '' : `${ratio.toFixed(2)}×`, goal, met === null ? '' : met ? 'met' : 'NOT met']);

if (browser) {
  const { warm, cold, sizes, hybrid, forgeSize } = browser;
  row('1. warm wrap, RSA-2048 OAEP-SHA-256, 32 B (wrapKeyMaterialAsync)', ms(warm.ours), `WebCrypto ${ms(warm.webcrypto)}`, warm.ours / warm.webcrypto, '≤ 1.5×', warm.ours / warm.webcrypto <= 1.5);
  row('   the same, wasm path (wrapKeyMaterial)', ms(warm.oursWasm), `WebCrypto ${ms(warm.webcrypto)}`, warm.oursWasm / warm.webcrypto, '≤ 10×', warm.oursWasm / warm.webcrypto <= 10);
  row('   the same, against node-forge', ms(warm.ours), `node-forge ${ms(warm.forge)}`, warm.ours / warm.forge, '', null);
  row('2. cold start: fetch + compile + instantiate + first wrap (median)', ms(cold.ours), `node-forge ${ms(cold.forge)}`, cold.ours / cold.forge, '≤ 10 ms and < node-forge', cold.ours <= 10 && cold.ours < cold.forge);
  row('   WebCrypto importKey + first encrypt (the floor)', ms(cold.webcrypto), '', null, '', null);
  row('   this machine: one fetch in a fresh context', ms(cold.fetch), '', null, '', null);
  const wasm = sizes.find((s) => s.file.endsWith('.wasm'));
  const kb = (x) => `${(x / 1024).toFixed(1)} KB`;
  row('3. byok_wrap_bg.wasm, gzip -9', kb(wasm.gzip), `node-forge ${kb(forgeSize.gzip)}`, wasm.gzip / forgeSize.gzip, '≤ 64 KB', wasm.gzip <= 64 * 1024);
  row('   raw', kb(wasm.raw), `node-forge ${kb(forgeSize.raw)}`, null, '', null);
  for (const [name, h] of Object.entries(hybrid)) {
    const label = name === 'key32' ? '32-byte key' : `RSA-4096 PKCS#8 (${h.bytes} B)`;
    row(`${name === 'key32' ? '10.' : '   '} RSA_AES_KEY_WRAP_SHA_256 (RSA-2048), ${label}, async`, ms(h.ours), `WebCrypto + @noble/ciphers KWP ${ms(h.peer)}`, h.ours / h.peer, 'report', null);
    row(`    the same, wasm path`, ms(h.oursWasm), `WebCrypto + @noble/ciphers KWP ${ms(h.peer)}`, h.oursWasm / h.peer, 'report', null);
  }
}

if (server) {
  const s = server;
  const g = s.getParameters;
  row('4. GetParametersForImport p99, 16 clients (pool)', ms(g.p99_ms), `bare axum p99 ${ms(g.bare.p99_ms)}`, g.p99_ms / g.bare.p99_ms, '≤ 2 ms', g.p99_ms <= 2);
  row('   GetParametersForImport p50', ms(g.p50_ms), `bare axum p50 ${ms(g.bare.p50_ms)}`, g.p50_ms / g.bare.p50_ms, '', null);
  row('   GetParametersForImport p99 of each round', g.allP99.map((x) => x.toFixed(1)).join(', ') + ' ms', '', null, '', null);
  row('   wrapping key pool refill rate (2 threads)', `${s.poolRefillPerSecond.toFixed(1)} pairs/s`, '', null, '', null);
  row('5. ImportKeyMaterial throughput (durable commits)', `${s.import.rps.toFixed(0)}/s`, `aws-lc decrypt ${s.import.raw.toFixed(0)}/s`, s.import.rps / s.import.raw, '≥ 0.5×', s.import.rps / s.import.raw >= 0.5);
  const each = (ratios) => ratios.map((x) => `${x.toFixed(2)}×`).join(', ');
  row('   ImportKeyMaterial ratio of each round', each(s.import.allRatios), '', null, '', null);
  row('6. Encrypt throughput', `${s.encrypt.rps.toFixed(0)}/s`, `bare axum ${s.encrypt.bare.rps.toFixed(0)}/s`, s.encrypt.rps / s.encrypt.bare.rps, '≥ 0.5×', s.encrypt.rps / s.encrypt.bare.rps >= 0.5);
  row('   Decrypt throughput', `${s.decrypt.rps.toFixed(0)}/s`, `bare axum ${s.decrypt.bare.rps.toFixed(0)}/s`, s.decrypt.rps / s.decrypt.bare.rps, '≥ 0.5×', s.decrypt.rps / s.decrypt.bare.rps >= 0.5);
  row('   Encrypt, Decrypt ratios of each round', `${each(s.encrypt.allRatios)}; ${each(s.decrypt.allRatios)}`, '', null, '', null);
  const keys = s.populate.requests;
  row(`7. DescribeKey p50, ${keys} more keys`, ms(s.large.describe.p50_ms), `few keys ${ms(s.small.describe.p50_ms)}`, s.large.describe.p50_ms / s.small.describe.p50_ms, '≤ 1.5×', s.large.describe.p50_ms / s.small.describe.p50_ms <= 1.5);
  row(`   Encrypt p50, ${keys} more keys`, ms(s.large.encrypt.p50_ms), `few keys ${ms(s.small.encrypt.p50_ms)}`, s.large.encrypt.p50_ms / s.small.encrypt.p50_ms, '≤ 1.5×', s.large.encrypt.p50_ms / s.small.encrypt.p50_ms <= 1.5);
  row('   ListKeys last page p50 (100 a page)', ms(s.large.listLast.p50_ms), `first page ${ms(s.large.listFirst.p50_ms)}`, s.large.listLast.p50_ms / s.large.listFirst.p50_ms, '≤ 1.5×', s.large.listLast.p50_ms / s.large.listFirst.p50_ms <= 1.5);
  row('8. resident memory: idle / peak under GetParameters, Import, Encrypt, Decrypt',
    `${s.idleRssMb.toFixed(0)} / ${[s.getParameters, s.import, s.encrypt, s.decrypt].map((r) => r.rss_mb.toFixed(0)).join(', ')} MB`,
    `after ${keys} keys: ${s.finalRssMb.toFixed(0)} MB`, null, 'report', null);
  if (s.awsImport) {
    const [i, e] = [s.awsImport, s.awsEncrypt];
    row('12. AWS door: ImportKeyMaterial throughput (SigV4)', `${i.rps.toFixed(0)}/s`, `Alibaba door ${i.alibaba.rps.toFixed(0)}/s`, i.rps / i.alibaba.rps, '≥ 0.9×', i.rps / i.alibaba.rps >= 0.9);
    row('    AWS door: Encrypt throughput', `${e.rps.toFixed(0)}/s`, `Alibaba door ${e.alibaba.rps.toFixed(0)}/s`, e.rps / e.alibaba.rps, '≥ 0.9×', e.rps / e.alibaba.rps >= 0.9);
    row('    ratios of each round (Import; Encrypt)', `${each(i.allRatios)}; ${each(e.allRatios)}`, '', null, '', null);
  }
  if (s.hsm) {
    const [i, e] = [s.hsm.import, s.hsm.encrypt];
    row('13. HSM keys (SoftHSM2): ImportKeyMaterial throughput', `${i.rps.toFixed(0)}/s`, `software keys ${i.software.rps.toFixed(0)}/s`, i.rps / i.software.rps, 'report', null);
    row('    HSM keys (SoftHSM2): Encrypt throughput', `${e.rps.toFixed(0)}/s`, `software keys ${e.software.rps.toFixed(0)}/s`, e.rps / e.software.rps, 'report', null);
    row('    ratios of each round (Import; Encrypt)', `${each(i.allRatios)}; ${each(e.allRatios)}`, '', null, '', null);
  }
  if (s.start) {
    row('11. serve --ephemeral: exec → first answer (median of 10)', ms(s.start.answered_ms), `bare axum ${ms(s.start.bare_answered_ms)}`, s.start.answered_ms / s.start.bare_answered_ms, '≤ 200 ms', s.start.answered_ms <= 200);
    row('    exec → the --ready-json line', ms(s.start.ready_ms), '', null, '', null);
  }
}

if (scale) {
  const rps = (x) => `${x.rps.toFixed(0)}/s`;
  for (const [i, [action, label]] of [['encrypt', 'Encrypt'], ['import', 'ImportKeyMaterial'], ['create-key', 'CreateKey']].entries()) {
    const [sqlite, pg1, pg3] = [scale.sqlite1[action], scale.postgres1[action], scale.postgres3[action]];
    row(`${i === 0 ? '9.' : '  '} ${label} throughput, PostgreSQL, 1 instance`, rps(pg1), `SQLite ${rps(sqlite)}`, pg1.rps / sqlite.rps, 'report', null);
    row(`   ${label} throughput, PostgreSQL, 3 instances`, rps(pg3), `1 instance ${rps(pg1)}`, pg3.rps / pg1.rps, 'report', null);
  }
}

const header = ['figure', 'ours', 'peer or limit', 'ratio', 'goal', ''];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(`\nbyok benchmarks — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${new Date().toISOString().slice(0, 10)}${browser ? `, Chromium ${browser.chromium}` : ''}\n`);
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));

// Where the wasm module's bytes go, by crate (twiggy, installed by `scripts/setup.sh bench`).
if (browser) {
  const sizes = spawnSync('bash', [join(root, 'scripts/wasm-size.sh'), '25'], { encoding: 'utf8' });
  console.log(`\nbyok_wrap_bg.wasm by crate (bytes after wasm-opt -Oz, before gzip; scripts/wasm-size.sh):\n`);
  console.log(sizes.status === 0 ? sizes.stdout : `(scripts/wasm-size.sh failed: ${sizes.stderr})`);
}
