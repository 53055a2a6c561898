# byok: `make run` builds and serves; `make test` installs what is missing and runs every test.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
export NODE_EXTRA_CA_CERTS ?= /etc/ssl/certs/ca-certificates.crt

WASM_TARGET := wasm32-unknown-unknown
CARGO_WASM := cargo build --target $(WASM_TARGET) --profile wasm-release -p byok-wrap
PORT ?= 8080

.PHONY: all run test pkg bench setup setup-build lint test-native test-browser test-node clean

all: pkg

## make run: build the npm package and serve the demo page on http://127.0.0.1:$(PORT)/
run: setup-build pkg
	node scripts/serve.mjs --port $(PORT)

## make test: everything — lints, native, browser (wasm-bindgen-test), Node and Chromium e2e tests
test: setup lint test-native test-browser pkg test-node
	@echo "make test: all passed"

setup:
	scripts/setup.sh test

setup-build:
	scripts/setup.sh build

## make pkg: the npm package in pkg/ (wasm-bindgen --target web, wasm-opt -Oz, package.json)
pkg:
	$(CARGO_WASM)
	node scripts/build-pkg.mjs

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --target $(WASM_TARGET) -- -D warnings

test-native:
	cargo test --all-targets
	cargo test --doc

# In the debug build (overflow checks on) and in the size-optimised build that ships.
test-browser:
	cargo test --target $(WASM_TARGET) --test browser
	cargo test --target $(WASM_TARGET) --profile wasm-release --test browser

test-node:
	node --test tests/node/ tests/e2e/

## make bench: wrap speed, cold start and size in one headless Chromium run (not a test)
bench: setup pkg
	node benches/browser/bench.mjs

clean:
	cargo clean
	rm -rf pkg
