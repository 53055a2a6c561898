#!/usr/bin/env bash
# Where the bytes of the npm package's .wasm go, by crate, from a build with names kept
# (needs twiggy: `scripts/setup.sh bench` installs it). `make bench` prints it; not part of any test.
# An item is counted under the first crate its name mentions (a generic instantiated for a type
# of another crate counts as the generic's crate); wasm-bindgen's export shims hold the code
# inlined into them, counted as "exports (inlined)".
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
wasm-bindgen --target web --keep-debug --out-dir "$out" target/wasm32-unknown-unknown/wasm-release/byok_wrap.wasm
node_modules/.bin/wasm-opt -Oz -g "$out/byok_wrap_bg.wasm" -o "$out/named.wasm"
twiggy top -n 100000 -f csv "$out/named.wasm" > "$out/top.csv"
python3 - "$out/top.csv" "${1:-25}" <<'PY'
import csv, re, sys, collections
rows = list(csv.DictReader(open(sys.argv[1])))
by_crate, items, total = collections.Counter(), [], 0
for r in rows:
    name, size = r['Name'], int(r['ShallowSize'])
    if name.startswith('custom section') or 'subsection' in name:
        continue
    total += size
    items.append((size, name))
    m = re.search(r'([a-z_][a-z_0-9]*)(?:\[[0-9a-f]+\])?::', name)
    if name.startswith('data'):
        crate = 'data (strings, tables)'
    elif ' shim' in name or name.startswith('export '):
        crate = 'exports (inlined)'
    elif m:
        crate = m.group(1)
    else:
        crate = name[:50]
    by_crate[crate] += size
for crate, size in by_crate.most_common(int(sys.argv[2])):
    print(f"{size:8d} {100 * size / total:5.1f}%  {crate}")
print(f"{total:8d} total (code and data, without names)")
print()
for size, name in sorted(items, reverse=True)[:int(sys.argv[2])]:
    print(f"{size:8d}  {name[:120]}")
PY
rm -rf "$out"
