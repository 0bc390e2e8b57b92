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
# in CPU seconds (user+sys) and prints the medians, the analytics' share of
# hunt time (the issue's budget: at most 30% added) and the memory per
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
cpu() {
  /usr/bin/time -f "%U %S" -o "$timing" "$@" >/dev/null 2>&1
  awk '{ printf "%.3f", $1 + $2 }' "$timing"
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
base=(); full=(); limit=()
for _ in $(seq "$runs"); do
  base+=("$(cpu ./target/release/phiwatch hunt "$logs" --no-analytics --no-incidents -q --format jsonl -o /dev/null)")
  full+=("$(cpu ./target/release/phiwatch hunt "$logs" --inventory "$inv" -q --format jsonl -o /dev/null)")
  limit+=("$(cpu ./target/release/phiwatch events "$logs" -q -o /dev/null)")
done
b=$(printf '%s\n' "${base[@]}" | median)
f=$(printf '%s\n' "${full[@]}" | median)
l=$(printf '%s\n' "${limit[@]}" | median)
events=$(./target/release/phiwatch hunt "$logs" --inventory "$inv" --format jsonl -o /dev/null 2>&1 | grep -o '[0-9]* events against' | grep -o '^[0-9]*')
mem=$(./target/release/phiwatch hunt "$logs" --inventory "$inv" --format jsonl -o /dev/null 2>&1 | grep 'analytics:' || true)
out="bench/results/$(date -u +%F)-analytics.txt"
mkdir -p bench/results
{
  echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD 2>/dev/null || echo nogit) $(nproc) cores, $(uname -m); $scale, $days days, $events events; medians of $runs CPU s"
  echo "hunt without analytics: $b s (${base[*]})"
  echo "hunt with analytics and incidents: $f s (${full[*]})"
  echo "events (decode and JSON output, for scale): $l s (${limit[*]})"
  awk -v b="$b" -v f="$f" -v l="$l" -v n="$events" 'BEGIN {
    printf "analytics add %.1f%% to hunt (budget 30%%); %.0f events/s per core for the analytics alone\n",
      100 * (f - b) / b, (f > b ? n / (f - b) : 0) }'
  echo "$mem"
  ./target/release/phiwatch-analytics-bench 1000000
  echo
} | tee -a "$out"
