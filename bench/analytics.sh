#!/usr/bin/env bash
# What the exfiltration analytics and the incident chain add to `hunt`, on a
# synthetic hospital (phiwatch-synth, vendor-compromise scenario, with its
# inventory): generates the corpus once into
# bench/corpus/analytics-<scale>-<days>/ (git-ignored, reused when present),
# then runs, RUNS times each, alternating so that machine noise hits both:
#   - `phiwatch hunt LOGS --no-analytics --no-incidents` (Sigma, PHI),
#   - `phiwatch hunt LOGS --inventory INV` (everything),
#   - `phiwatch events LOGS -o /dev/null` (reading and decoding the same
#     logs, plus writing them as JSON: for scale, not a limit),
# in elapsed (wall-clock) and CPU seconds (user+sys), and prints the medians,
# what the analytics add to hunt time (the issue's budget: at most 30% added;
# the analytics run on a thread of their own, so elapsed time grows less than
# CPU time when a core is free) and the memory per
# analytic that `hunt` reports; then `phiwatch-analytics-bench` (memory per
# entity with 1M entities per analytic, and events/s of the engine alone).
# Appends to bench/results/YYYY-MM-DD-analytics.txt.
# Usage: bench/analytics.sh [SCALE] [DAYS] [RUNS]   (defaults: small 7 5)
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-small}"
days="${2:-7}"
runs="${3:-5}"
cargo build --release --locked -p phiwatch -p phiwatch-bench
dir="bench/corpus/analytics-$scale-$days"
if [ ! -f "$dir/.complete" ]; then
  rm -rf "$dir"
  ./target/release/phiwatch demo generate --scenario vendor-compromise --scale "$scale" \
    --days "$days" --seed 1 --out "$dir" >/dev/null
  touch "$dir/.complete"
fi
logs="$dir/logs"
inv="$dir/inventory/inventory.toml"
timing=$(mktemp)
trap 'rm -f "$timing"' EXIT
# Prints "CPU ELAPSED" in seconds.
cpu() {
  /usr/bin/time -f "%U %S %e" -o "$timing" "$@" >/dev/null 2>&1
  awk '{ printf "%.3f %.3f\n", $1 + $2, $3 }' "$timing"
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
base=(); full=(); limit=(); basew=(); fullw=()
for _ in $(seq "$runs"); do
  read -r c w < <(cpu ./target/release/phiwatch hunt "$logs" --no-analytics --no-incidents -q --format jsonl -o /dev/null)
  base+=("$c"); basew+=("$w")
  read -r c w < <(cpu ./target/release/phiwatch hunt "$logs" --inventory "$inv" -q --format jsonl -o /dev/null)
  full+=("$c"); fullw+=("$w")
  read -r c _ < <(cpu ./target/release/phiwatch events "$logs" -q -o /dev/null)
  limit+=("$c")
done
b=$(printf '%s\n' "${base[@]}" | median)
f=$(printf '%s\n' "${full[@]}" | median)
bw=$(printf '%s\n' "${basew[@]}" | median)
fw=$(printf '%s\n' "${fullw[@]}" | median)
l=$(printf '%s\n' "${limit[@]}" | median)
events=$(./target/release/phiwatch hunt "$logs" --inventory "$inv" --format jsonl -o /dev/null 2>&1 | grep -o '[0-9]* events against' | grep -o '^[0-9]*')
mem=$(./target/release/phiwatch hunt "$logs" --inventory "$inv" --format jsonl -o /dev/null 2>&1 | grep 'analytics:' || true)
out="bench/results/$(date -u +%F)-analytics.txt"
mkdir -p bench/results
{
  echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD 2>/dev/null || echo nogit) $(nproc) cores, $(uname -m); $scale, $days days, $events events; medians of $runs CPU s"
  echo "hunt without analytics: elapsed $bw s (${basew[*]}), CPU $b s (${base[*]})"
  echo "hunt with analytics and incidents: elapsed $fw s (${fullw[*]}), CPU $f s (${full[*]})"
  echo "events (decode and JSON output, for scale): $l s (${limit[*]})"
  awk -v b="$b" -v f="$f" -v bw="$bw" -v fw="$fw" -v n="$events" 'BEGIN {
    printf "analytics add %.1f%% to hunt elapsed time (budget 30%%) and %.1f%% to its CPU time; %.0f events/s per core for the analytics alone\n",
      100 * (fw - bw) / bw, 100 * (f - b) / b, (f > b ? n / (f - b) : 0) }'
  echo "$mem"
  ./target/release/phiwatch-analytics-bench 1000000
  echo
} | tee -a "$out"
