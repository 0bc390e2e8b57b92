#!/usr/bin/env bash
# Stage benchmark on a synthetic hospital (phiwatch-synth, vendor-compromise
# scenario): generates a fixed corpus once into bench/corpus/<scale>-<days>-<seed>/
# (git-ignored, reused when present; delete it to regenerate), then prints
# records/s for generation and for each stage that exists (decode: ingest of
# every log in arrival order on 1 and 2 threads, and in time order), the
# ratio to reading the same bytes with memchr in the same process, and
# `not built yet` rows for the stages to come; appends the result to
# bench/results/YYYY-MM-DD-stages.txt.
# Usage: bench/stages.sh [SCALE] [DAYS] [RUNS]   (defaults: medium 1 3; seed 1)
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-medium}"
days="${2:-1}"
runs="${3:-3}"
seed="${SEED:-1}"
cargo build --release --locked -p phiwatch-bench --bin phiwatch-stages
out="bench/results/$(date -u +%F)-stages.txt"
mkdir -p bench/results bench/corpus
{
  echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD 2>/dev/null || echo nogit) $(nproc) cores, $(uname -m)"
  ./target/release/phiwatch-stages "$scale" "$days" "$runs" "$seed" bench/corpus
  echo
} | tee -a "$out"
