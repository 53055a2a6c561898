// Assembles the npm package in pkg/ from the wasm that `cargo build --profile wasm-release` made:
// wasm-bindgen (web target) → wasm-opt -Oz → package.json, Node entry and README.
// Run by `make pkg`; expects wasm-bindgen (the version in Cargo.lock) on PATH.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
// wasm-bindgen declares `[Symbol.dispose]()` on classes; say which TypeScript lib that needs, so
// that consumers whose `lib` stops at ES2022 still type-check (TypeScript >= 5.2).
const dts = join(pkg, 'byok_wrap.d.ts');
writeFileSync(dts, `/// <reference lib="esnext.disposable" />\n${readFileSync(dts, 'utf8')}`);
// One JavaScript module for the browser: the KmsClient (npm/client.js) joins the generated glue,
// so a page loads the package with one script request and one .wasm request, in parallel.
const glue = join(pkg, 'byok_wrap.js');
const client = readFileSync(join(root, 'npm/client.js'), 'utf8');
const importLine = /^import \{[^}]*\} from '\.\/byok_wrap\.js';\n/m;
if (!importLine.test(client)) throw new Error('npm/client.js must import from ./byok_wrap.js on one line');
writeFileSync(glue, `${readFileSync(glue, 'utf8')}\n// ---- npm/client.js ----\n${client.replace(importLine, '')}`);
for (const file of ['index.d.ts', 'node.js', 'README.md']) {
  copyFileSync(join(root, 'npm', file), join(pkg, file));
}

const manifest = {
  name: 'byok-wrap',
  version,
  description,
  license: 'Apache-2.0',
  keywords: ['kms', 'byok', 'key-import', 'rsa-oaep', 'webassembly', 'alibaba-cloud'],
  type: 'module',
  main: './byok_wrap.js',
  module: './byok_wrap.js',
  types: './index.d.ts',
  exports: {
    '.': {
      types: './index.d.ts',
      node: './node.js',
      default: './byok_wrap.js',
    },
    './byok_wrap_bg.wasm': './byok_wrap_bg.wasm',
    './package.json': './package.json',
  },
  files: ['byok_wrap.js', 'byok_wrap_bg.wasm', 'index.d.ts', 'byok_wrap.d.ts', 'byok_wrap_bg.wasm.d.ts', 'node.js',
    'README.md'],
  engines: { node: '>=20' },
};
writeFileSync(join(pkg, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`pkg/: byok-wrap ${version}`);
