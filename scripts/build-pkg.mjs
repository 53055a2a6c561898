// Assembles the npm package in pkg/ from the wasm that `cargo build --profile wasm-release` made:
// wasm-bindgen (web target) → wasm-opt -Oz → one ES module (wasm-bindgen's glue with its exports
// made internal, then npm/index.js, the public API) → index.d.ts with the string unions filled
// in from the Rust table → package.json, Node entry, README and LICENSE.
// Run by `make pkg`; expects wasm-bindgen (the version in Cargo.lock) on PATH.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = join(root, 'pkg');
const wasm = join(root, 'target/wasm32-unknown-unknown/wasm-release/byok_wrap.wasm');

const cargoToml = readFileSync(join(root, 'Cargo.toml'), 'utf8');
const lock = readFileSync(join(root, 'Cargo.lock'), 'utf8');
const field = (text, pattern, what) => {
  const match = text.match(pattern);
  if (!match) throw new Error(`cannot find ${what}`);
  return match[1];
};
const version = field(cargoToml, /\[package\][^[]*?\nversion = "([^"]+)"/, 'the package version in Cargo.toml');
const description = field(cargoToml, /\[package\][^[]*?\ndescription = "([^"]+)"/, 'the description in Cargo.toml');
const repository = field(cargoToml, /\[workspace\.package\][^[]*?\nrepository = "([^"]+)"/, 'the repository in Cargo.toml');
const bindgenVersion = field(lock, /name = "wasm-bindgen"\nversion = "([^"]+)"/, 'wasm-bindgen in Cargo.lock');

const cli = execFileSync('wasm-bindgen', ['--version'], { encoding: 'utf8' }).trim();
if (cli !== `wasm-bindgen ${bindgenVersion}`) {
  throw new Error(`${cli} is installed but Cargo.lock has wasm-bindgen ${bindgenVersion}; run \`make setup\``);
}

rmSync(pkg, { recursive: true, force: true });
mkdirSync(pkg);
execFileSync('wasm-bindgen', ['--target', 'web', '--out-dir', pkg, '--out-name', 'byok_wrap', wasm], { stdio: 'inherit' });
const bg = join(pkg, 'byok_wrap_bg.wasm');
execFileSync(join(root, 'node_modules/.bin/wasm-opt'), ['-Oz', bg, '-o', bg], { stdio: 'inherit' });

// One JavaScript module, so that a page loads the package with one script request and one .wasm
// request, in parallel: wasm-bindgen's glue, its exports made internal (the raw… functions and
// classes, initSync and the default init), then the public API from npm/index.js.
const gluePath = join(pkg, 'byok_wrap.js');
let glue = readFileSync(gluePath, 'utf8');
const replace = (pattern, replacement, what) => {
  const before = glue;
  glue = glue.replace(pattern, replacement);
  if (glue === before) throw new Error(`wasm-bindgen ${bindgenVersion}'s glue no longer has ${what}; update scripts/build-pkg.mjs`);
};
replace(/^export (function raw\w+|class Raw\w+)/gm, '$1', 'its raw… exports');
replace(/^function initSync\(/m, 'function __wbg_initSync(', 'initSync');
replace(/^export \{ initSync, __wbg_init as default \};\n?/m, '', 'its export list');
if (/^export /m.test(glue)) throw new Error('the glue still exports something: scripts/build-pkg.mjs must make it internal');
const api = readFileSync(join(root, 'npm/index.js'), 'utf8');
const importLine = /^import __wbg_init, \{[^}]*\} from '\.\/byok_wrap_glue\.js';\n/m;
if (!importLine.test(api)) throw new Error("npm/index.js must import from './byok_wrap_glue.js' on one line");
writeFileSync(gluePath, `${glue}\n// ---- npm/index.js ----\n${api.replace(importLine, '')}`);
// The generated declarations describe the internal functions; index.d.ts is the public API.
rmSync(join(pkg, 'byok_wrap.d.ts'));
rmSync(join(pkg, 'byok_wrap_bg.wasm.d.ts'));

// The string unions of index.d.ts, from the table the wasm module enforces.
const lib = await import(pathToFileURL(gluePath).href);
lib.initSync({ module: readFileSync(bg) });
const rules = lib.importRules();
const union = (names) => [...new Set(names)].map((n) => JSON.stringify(n)).join(' | ');
const unions = {
  algorithms: union(rules.algorithms.map((a) => a.name)),
  keySpecs: union(rules.keySpecs.flatMap((s) => [s.name, ...s.aliases])),
  wrappingKeySpecs: union(rules.wrappingKeySpecs.map((s) => s.name)),
  clouds: union(rules.clouds.map((c) => c.id)),
};
let dts = readFileSync(join(root, 'npm/index.d.ts'), 'utf8');
for (const [name, value] of Object.entries(unions)) {
  const marker = `/* @generated ${name} */ string`;
  if (!dts.includes(marker)) throw new Error(`npm/index.d.ts has no ${marker}`);
  dts = dts.replace(marker, value);
}
writeFileSync(join(pkg, 'index.d.ts'), dts);

for (const file of ['node.js', 'testing.js', 'testing.d.ts', 'README.md']) copyFileSync(join(root, 'npm', file), join(pkg, file));
copyFileSync(join(root, 'LICENSE'), join(pkg, 'LICENSE'));

// The project's address, where it has a real one (Cargo.toml's placeholder is left out).
const links = repository.includes('example.invalid')
  ? (console.warn(`build-pkg: Cargo.toml's repository is the placeholder ${repository}: package.json gets no repository/homepage/bugs`), {})
  : {
      repository: { type: 'git', url: `git+${repository}.git` },
      homepage: `${repository}#readme`,
      bugs: { url: `${repository}/issues` },
    };

const manifest = {
  name: 'byok-wrap',
  version,
  description,
  license: 'Apache-2.0',
  ...links,
  keywords: ['kms', 'byok', 'key-import', 'rsa-oaep', 'aes-kwp', 'webassembly', 'alibaba-cloud', 'aws-kms', 'google-cloud-kms'],
  type: 'module',
  main: './node.js',
  module: './byok_wrap.js',
  types: './index.d.ts',
  sideEffects: false,
  exports: {
    '.': {
      types: './index.d.ts',
      node: './node.js',
      default: './byok_wrap.js',
    },
    // Node only: a throwaway byok-kms for test suites.
    './testing': {
      types: './testing.d.ts',
      node: './testing.js',
    },
    './byok_wrap_bg.wasm': './byok_wrap_bg.wasm',
    './package.json': './package.json',
  },
  files: ['byok_wrap.js', 'byok_wrap_bg.wasm', 'index.d.ts', 'node.js', 'testing.js', 'testing.d.ts', 'README.md', 'LICENSE'],
  engines: { node: '>=20' },
};
writeFileSync(join(pkg, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`pkg/: byok-wrap ${version}`);
