// `make bench-compare BASELINE=<commit>`: the server benchmarks (benches/server/bench.mjs and
// scale.mjs) run against an older byok-kms and against this one, alternately in one run on this
// machine, and printed side by side. Each figure is also shown as a ratio to the peer measured in
// the same pass (bare axum, aws-lc decrypt), since the machine drifts between passes; compare those
// ratios first, the absolute figures second.
//
//   node benches/compare.mjs --baseline=PATH/TO/byok-kms [--current=PATH/TO/byok-kms] [--passes=N]
//   node benches/compare.mjs --from=DIR   the table again from a run's JSON files (it prints DIR)
//
// `current` is this tree's release build unless given. Needs this tree's load generator
// (byok-kms-load) and a PostgreSQL server
// (scripts/with-postgres.sh), like `make bench`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const from = arg('from');
const baseline = arg('baseline') ?? (from ? '(from an earlier run)' : undefined);
if (!baseline) throw new Error('usage: node benches/compare.mjs --baseline=PATH/TO/byok-kms [--current=PATH/TO/byok-kms] [--passes=N]');
const passes = Number(arg('passes') ?? 1);
const dir = from ?? mkdtempSync(join(tmpdir(), 'byok-compare-'));
const builds = from
  ? JSON.parse(readFileSync(join(dir, 'builds.json'), 'utf8'))
  : { baseline: resolve(baseline), current: resolve(arg('current') ?? join(root, 'target/release/byok-kms')) };
if (!from) writeFileSync(join(dir, 'builds.json'), JSON.stringify(builds));

function run(script, server, file) {
  const out = join(dir, file);
  if (from) return JSON.parse(readFileSync(out, 'utf8'));
  const result = spawnSync(process.execPath, [join(root, script), `--out=${out}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, BYOK_BENCH_SERVER: server },
  });
  if (result.status !== 0) throw new Error(`${script} against ${server} failed`);
  return JSON.parse(readFileSync(out, 'utf8'));
}

/** The figures of one pass: [label, value, unit, higher is better]. */
function figures(s, scale) {
  const f = [
    ['GetParametersForImport p99 ÷ bare axum p99', s.getParameters.p99_ms / s.getParameters.bare.p99_ms, '×', false],
    ['GetParametersForImport p99', s.getParameters.p99_ms, 'ms', false],
    ['GetParametersForImport p50', s.getParameters.p50_ms, 'ms', false],
    ['wrapping key pool refill', s.poolRefillPerSecond, '/s', true],
    ['ImportKeyMaterial ÷ aws-lc decrypt', s.import.rps / s.import.raw, '×', true],
    ['ImportKeyMaterial', s.import.rps, '/s', true],
    ['Encrypt ÷ bare axum', s.encrypt.rps / s.encrypt.bare.rps, '×', true],
    ['Encrypt', s.encrypt.rps, '/s', true],
    ['Decrypt ÷ bare axum', s.decrypt.rps / s.decrypt.bare.rps, '×', true],
    ['Decrypt', s.decrypt.rps, '/s', true],
    [`DescribeKey p50, +${s.populate.requests} keys ÷ few keys`, s.large.describe.p50_ms / s.small.describe.p50_ms, '×', false],
    [`Encrypt p50, +${s.populate.requests} keys ÷ few keys`, s.large.encrypt.p50_ms / s.small.encrypt.p50_ms, '×', false],
    ['ListKeys last page p50 ÷ first page', s.large.listLast.p50_ms / s.large.listFirst.p50_ms, '×', false],
    [`CreateKey (populating ${s.populate.requests})`, s.populate.rps, '/s', true],
    ['resident memory idle', s.idleRssMb, 'MB', false],
    [`resident memory after ${s.populate.requests} keys`, s.finalRssMb, 'MB', false],
  ];
  for (const [setup, label] of [['sqlite1', 'SQLite'], ['postgres1', 'PostgreSQL ×1'], ['postgres3', 'PostgreSQL ×3']]) {
    for (const action of ['encrypt', 'import', 'create-key']) f.push([`${action}, ${label}`, scale[setup][action].rps, '/s', true]);
  }
  return f;
}

const results = { baseline: [], current: [] };
console.error(`compare: the figures are kept in ${dir}`);
const complete = (pass) => ['baseline', 'current'].every((name) => existsSync(join(dir, `${name}-scale-${pass}.json`)));
for (let pass = 0; from ? complete(pass) : pass < passes; pass++) {
  for (const [name, server] of Object.entries(builds)) {
    console.error(`compare: pass ${pass + 1}${from ? '' : ` of ${passes}`}, ${name} (${server})`);
    results[name].push(figures(run('benches/server/bench.mjs', server, `${name}-${pass}.json`), run('benches/server/scale.mjs', server, `${name}-scale-${pass}.json`)));
  }
}

/** The median; of an even count, the mean of the middle two. */
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const show = (x, unit) => (unit === '×' ? `${x.toFixed(2)}×` : `${x < 10 ? x.toFixed(3) : x.toFixed(0)} ${unit}`);
const rows = results.current[0].map(([label, , unit, higherBetter], i) => {
  const old = median(results.baseline.map((p) => p[i][1]));
  const now = median(results.current.map((p) => p[i][1]));
  const change = now / old;
  const verdict = Math.abs(change - 1) <= 0.1 ? 'within 10%' : (higherBetter ? change > 1 : change < 1) ? 'better' : 'worse';
  return [label, show(old, unit), show(now, unit), `${change.toFixed(2)}×`, verdict];
});
const header = ['figure', 'baseline', 'current', 'current ÷ baseline', ''];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(`\nbyok-kms before and after — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${new Date().toISOString().slice(0, 10)}`);
console.log(`baseline: ${builds.baseline}\ncurrent:  ${builds.current}\n${results.current.length} pass(es) each, alternating; the median of the passes (of two: their mean)\n`);
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
