# byok: `make run` builds and starts the KMS with the console; `make test` installs what is
# missing and runs every test.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
export NODE_EXTRA_CA_CERTS ?= /etc/ssl/certs/ca-certificates.crt

WASM_TARGET := wasm32-unknown-unknown
CARGO_WASM := cargo build --target $(WASM_TARGET) --profile wasm-release -p byok-wrap
LISTEN ?= 127.0.0.1:8080
DATA_DIR ?= build/kms-data

.PHONY: all run test pkg bench bench-compare fuzz soak setup setup-build lint test-native test-browser test-node test-sdk server clean

all: pkg server

## make run: build the npm package and byok-kms, and serve the KMS API and the page on $(LISTEN)
run: setup-build pkg
	cargo build --release -p byok-kms
	RUST_LOG=$${RUST_LOG:-info} target/release/byok-kms serve --listen $(LISTEN) --data-dir $(DATA_DIR) --www-dir www --pkg-dir pkg

## make test: everything — lints, native, browser (wasm-bindgen-test), Node, Chromium e2e, official SDK
test: setup lint test-native test-browser pkg server test-node test-sdk
	@echo "make test: all passed"

setup:
	scripts/setup.sh test

setup-build:
	scripts/setup.sh build

## make pkg: the npm package in pkg/ (wasm-bindgen --target web, wasm-opt -Oz, package.json);
## installs the wasm toolchain first, like every documented target
pkg: setup-build
	$(CARGO_WASM)
	node scripts/build-pkg.mjs

# byok-kms, and the byok-wrap CLI that the AWS CLI test wraps with (one build: one feature set).
server:
	cargo build -p byok-kms -p byok-wrap-cli

## make lint: cargo fmt --check and clippy -D warnings, native and wasm
lint: setup-build
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p byok-wrap --all-targets --target $(WASM_TARGET) -- -D warnings

# Beside a throwaway PostgreSQL server (scripts/with-postgres.sh): the scale-out tests use it, the
# store contract suite runs on both stores, and the Kms core suite and the hostile matrix run a
# second time on it.
test-native:
	scripts/with-postgres.sh cargo test --workspace --all-targets
	BYOK_TEST_STORE=postgres scripts/with-postgres.sh cargo test -p byok-kms --test kms_core --test hostile --test settings --test tags --test asymmetric --test asymmetric_calls
	cargo test --workspace --doc

# In the debug build (overflow checks on) and in the size-optimised build that ships.
test-browser:
	cargo test -p byok-wrap --target $(WASM_TARGET) --test browser
	cargo test -p byok-wrap --target $(WASM_TARGET) --profile wasm-release --test browser

test-node:
	node --test tests/node/ tests/e2e/

# The official Alibaba Cloud Python SDK against a real byok-kms serve, and against three on one
# PostgreSQL database; the legacy Python SDK (aliyunsdkcore) beside it; boto3 and the AWS CLI
# (with openssl and the byok-wrap CLI wrapping) on the AWS door; then the official Node clients
# (@alicloud/kms20160120, @alicloud/openapi-client, @alicloud/pop-core, @aws-sdk/client-kms).
test-sdk: server
	BYOK_KMS_BIN=$(CURDIR)/target/debug/byok-kms BYOK_WRAP_BIN=$(CURDIR)/target/debug/byok-wrap scripts/with-postgres.sh build/venv/bin/python -m unittest discover -s server/tests/sdk -v
	BYOK_KMS_BIN=$(CURDIR)/target/debug/byok-kms node --test server/tests/sdk/node/

## make bench: every performance figure against its peer or limit, in one table (not a test)
bench: pkg
	scripts/setup.sh bench
	cargo build --release -p byok-kms -p byok-kms-testkit
	scripts/with-postgres.sh node benches/run.mjs

## make bench-compare BASELINE=<commit> [CURRENT=<commit>]: the server benchmarks against that
## commit's byok-kms and this tree's (or CURRENT's), alternately in one run (BENCH_PASSES each,
## default 2), side by side (not a test)
BASELINE ?= 4a730ba
BENCH_PASSES ?= 2
bench-compare: setup
	cargo build --release -p byok-kms -p byok-kms-testkit
	scripts/with-postgres.sh node benches/compare.mjs --baseline=$$(scripts/build-baseline.sh $(BASELINE)) \
	  $(if $(CURRENT),--current=$$(scripts/build-baseline.sh $(CURRENT))) --passes=$(BENCH_PASSES)

## make fuzz: each cargo-fuzz target for FUZZ_SECONDS (default 120) on nightly Rust; not in make
## test. New inputs go to build/fuzz/<target>; a crash stops it (keep the input in
## fuzz/regressions/<target>/, which make test replays).
FUZZ_SECONDS ?= 120
FUZZ_TOOLCHAIN ?= nightly
FUZZ_TARGETS := request import_token ciphertext_blob public_key
fuzz:
	FUZZ_TOOLCHAIN=$(FUZZ_TOOLCHAIN) scripts/setup.sh fuzz
	set -eo pipefail; for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/$$t; \
	  (cd fuzz && cargo +$(FUZZ_TOOLCHAIN) fuzz run $$t ../build/fuzz/$$t corpus/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1) 2>&1 | tee build/fuzz/$$t.log | tail -12; \
	done

## make soak: the long crash-consistency loop, 200 SIGKILLs (BYOK_SOAK_KILLS=N for another count)
soak:
	BYOK_SOAK_KILLS=$${BYOK_SOAK_KILLS:-200} cargo test --release -p byok-kms --test crash -- --nocapture

clean:
	cargo clean
	rm -rf pkg build
