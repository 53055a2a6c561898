#!/usr/bin/env bash
# Installs what the build and the tests need, idempotently and at pinned versions. `make` runs it;
# every step is skipped when its tool is already there at the right version.
#
#   scripts/setup.sh build   the wasm toolchain and npm packages (make pkg, make run)
#   scripts/setup.sh test    also Chromium + ChromeDriver, openssl, xxd, PostgreSQL, SoftHSM2 + OpenSC,
#                            the SDK venv (make test)
#   scripts/setup.sh bench   also twiggy, for the wasm size by crate (make bench)
#   scripts/setup.sh fuzz    nightly Rust and cargo-fuzz (make fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}

# Debian's Chromium, PostgreSQL, SoftHSM2 and OpenSC, pinned; Debian's archives drop superseded
# builds, so if an exact version is gone we install the current one and say so rather than fail.
CHROMIUM_VERSION=156.0.8078.108-1~deb12u1
POSTGRESQL_VERSION=15.20-0+deb12u1
SOFTHSM2_VERSION=2.6.1-2.1
OPENSC_VERSION=0.23.0-0.3+deb12u2
GDB_VERSION=13.1-3

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
export NODE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
export PATH="$HOME/.cargo/bin:$PATH"

# Rust: the wasm target and the lint components.
installed_targets=$(rustup target list --installed)
grep -qx wasm32-unknown-unknown <<<"$installed_targets" || { say "rustup target add wasm32-unknown-unknown"; rustup target add wasm32-unknown-unknown; }
for component in clippy rustfmt; do
  rustup component list --installed | grep -q "^$component" || { say "rustup component add $component"; rustup component add "$component"; }
done

# make fuzz: a nightly toolchain (cargo fuzz's sanitizer flags need one) and cargo-fuzz, pinned.
if [ "$mode" = fuzz ]; then
  toolchain=${FUZZ_TOOLCHAIN:-nightly}
  rustup run "$toolchain" rustc --version >/dev/null 2>&1 || { say "rustup toolchain install $toolchain"; rustup toolchain install "$toolchain" --profile minimal; }
  [ "$(cargo fuzz --version 2>/dev/null | awk '{ print $2 }')" = 0.13.2 ] || { say "cargo install cargo-fuzz 0.13.2"; cargo install cargo-fuzz --version 0.13.2 --locked; }
  exit 0
fi

# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  say "cargo install wasm-bindgen-cli --version $want (about two minutes)"
  # Not --locked: its lockfile wants a crate version the registry mirror lacks.
  cargo install wasm-bindgen-cli --version "$want"
fi

# npm packages from package-lock.json (binaryen's wasm-opt, playwright-core, node-forge, typescript,
# @aws-sdk/client-kms and esbuild for the AWS SDK tests).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund
fi

# make bench: twiggy for the wasm module's size by crate (scripts/wasm-size.sh), pinned.
if [ "$mode" = bench ]; then
  [ "$(twiggy --version 2>/dev/null | awk '{ print $2 }')" = 0.8.0 ] || { say "cargo install twiggy 0.8.0 (a few minutes)"; cargo install twiggy --version 0.8.0; }
fi

case "$mode" in test | bench) ;; *) exit 0 ;; esac

# The official Alibaba Cloud SDK, for the server tests, in a virtualenv inside build/ (every
# package pinned in the requirements file).
requirements=server/tests/sdk/requirements.txt
want_hash=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ "$(cat build/venv/.requirements.sha256 2>/dev/null)" != "$want_hash" ]; then
  say "python venv build/venv with $requirements"
  rm -rf build/venv
  python3 -m venv build/venv
  build/venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want_hash" > build/venv/.requirements.sha256
fi

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "setup: please install the Debian packages: $*" >&2
    exit 1
  fi
  if [ -z "${apt_updated:-}" ]; then
    say "apt-get update"
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

if ! command -v openssl >/dev/null; then
  say "apt-get install openssl"
  apt_install openssl
fi

# xxd, for AWS's openssl recipe of RSA_AES_KEY_WRAP (the AES key as hex for `openssl enc -K`).
if ! command -v xxd >/dev/null; then
  say "apt-get install xxd"
  apt_install xxd
fi

# PostgreSQL for the scale-out tests (scripts/with-postgres.sh starts a throwaway server of it).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  say "apt-get install postgresql ($POSTGRESQL_VERSION)"
  apt_install "postgresql-15=$POSTGRESQL_VERSION" "postgresql-client-15=$POSTGRESQL_VERSION" ||
    { say "WARNING: postgresql-15 $POSTGRESQL_VERSION is no longer in the archive; installing the current build"; apt_install postgresql-15; }
fi

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  say "apt-get install chromium chromium-driver ($CHROMIUM_VERSION)"
  apt_install "chromium=$CHROMIUM_VERSION" "chromium-common=$CHROMIUM_VERSION" "chromium-driver=$CHROMIUM_VERSION" ||
    { say "WARNING: chromium $CHROMIUM_VERSION is no longer in the archive; installing the current build"; apt_install chromium chromium-driver; }
fi

# SoftHSM2, a PKCS#11 token in files, for the HSM tests (server/tests/hsm_start.rs makes a
# throwaway token of it), and OpenSC's pkcs11-tool to look inside one.
if [ ! -e /usr/lib/softhsm/libsofthsm2.so ] || ! command -v softhsm2-util >/dev/null || ! command -v pkcs11-tool >/dev/null; then
  say "apt-get install softhsm2 ($SOFTHSM2_VERSION) opensc ($OPENSC_VERSION)"
  apt_install "softhsm2=$SOFTHSM2_VERSION" "libsofthsm2=$SOFTHSM2_VERSION" "opensc=$OPENSC_VERSION" "opensc-pkcs11=$OPENSC_VERSION" ||
    { say "WARNING: softhsm2 $SOFTHSM2_VERSION or opensc $OPENSC_VERSION is no longer in the archive; installing the current build"; apt_install softhsm2 opensc; }
fi

# gdb's gcore, to search the running server's memory for material after an HSM import
# (server/tests/sdk/test_hsm_sdk.py).
if ! command -v gcore >/dev/null; then
  say "apt-get install gdb ($GDB_VERSION)"
  apt_install "gdb=$GDB_VERSION" ||
    { say "WARNING: gdb $GDB_VERSION is no longer in the archive; installing the current build"; apt_install gdb; }
fi
