#!/usr/bin/env bash
# Builds byok-kms (release) as it was at a commit, for `make bench-compare`: the commit's tree is
# exported (git archive, no worktree left behind) to build/baseline/<commit>/src and built with its
# own Cargo.lock into its own target directory (a target directory shared between source trees
# can take one tree's crate for another's: cargo finds it fresh). Prints the binary's path.
#
#   scripts/build-baseline.sh <commit>
set -euo pipefail
cd "$(dirname "$0")/.."
commit=$(git rev-parse --short=12 "${1:?usage: scripts/build-baseline.sh <commit>}^{commit}")
dir=build/baseline/$commit
if [ ! -x "$dir/byok-kms" ]; then
  rm -rf "$dir/src" && mkdir -p "$dir/src"
  git archive "$commit" | tar -x -C "$dir/src"
  CARGO_TARGET_DIR=$PWD/$dir/target cargo build --release --locked -p byok-kms --manifest-path "$dir/src/Cargo.toml" >&2
  cp "$dir/target/release/byok-kms" "$dir/byok-kms"
fi
echo "$PWD/$dir/byok-kms"
