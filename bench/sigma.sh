#!/usr/bin/env bash
# Sigma engine benchmark with the whole SigmaHQ rule set (3,754 rules, kept in
# crates/sigma/tests/data/sigmahq) plus the built-in pack: rule parse/compile
# time and memory, then events/s on one core over SigmaHQ's regression events
# (repeated REPS times) and over the generated hospital corpus of
# bench/stages.sh (bench/corpus/medium-1-1, generated if missing), each with
# its ratio to a same-process limit (visiting every value of every event).
# Appends to bench/results/YYYY-MM-DD-sigma.txt.
# Usage: bench/sigma.sh [REPS] [RUNS]   (defaults: 200 5)
set -euo pipefail
cd "$(dirname "$0")/.."
reps="${1:-200}"
runs="${2:-5}"
cargo build --release --locked -p phiwatch-bench --bin phiwatch-sigma-bench --bin phiwatch-stages
corpus=bench/corpus/medium-1-1
if [ ! -f "$corpus/.complete" ]; then
  ./target/release/phiwatch-stages medium 1 1 1 bench/corpus >/dev/null
fi
out="bench/results/$(date -u +%F)-sigma.txt"
mkdir -p bench/results
{
  echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD 2>/dev/null || echo nogit) $(nproc) cores, $(uname -m)"
  ./target/release/phiwatch-sigma-bench "$reps" "$runs" "$corpus/logs"
  echo
} | tee -a "$out"
