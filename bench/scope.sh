#!/usr/bin/env bash
# What breach scoping costs, on a synthetic hospital (phiwatch-synth,
# vendor-compromise, with its inventory and patients list): generates the
# corpus once into bench/corpus/analytics-<scale>-<days>/ (shared with
# bench/analytics.sh; git-ignored, reused), then runs, RUNS times each,
# alternating so that machine noise hits all of them:
#   - `phiwatch hunt LOGS --inventory INV` (every detector: the limit, as
#     `scope` over logs runs them all for its timeline and incidents),
#   - `phiwatch scope LOGS --inventory INV --from --to --actor …` (the same
#     plus the ledger and the scope),
#   - `phiwatch hunt LOGS --inventory INV --store DB` (the same plus the
#     store; a fresh DB each time),
#   - `phiwatch scope --store DB --inventory INV --from --to --actor …` (no
#     logs: the store's ledger, flows and findings),
# in elapsed seconds, and prints the medians, events per second and the
# ratios to hunt. Appends to bench/results/YYYY-MM-DD-scope.txt.
# Usage: bench/scope.sh [SCALE] [DAYS] [RUNS]   (defaults: small 7 5)
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-small}"
days="${2:-7}"
runs="${3:-5}"
cargo build --release --locked -p phiwatch
dir="bench/corpus/analytics-$scale-$days"
if [ ! -f "$dir/.complete" ] || ! grep -q '"scope": {' "$dir/truth/truth.json"; then
  rm -rf "$dir"
  ./target/release/phiwatch demo generate --scenario vendor-compromise --scale "$scale" \
    --days "$days" --seed 1 --out "$dir" >/dev/null
  touch "$dir/.complete"
fi
logs="$dir/logs"
inv="$dir/inventory/inventory.toml"
window=(--from "$(python3 -c "import json;print(json.load(open('$dir/truth/truth.json'))['scope']['from'])")"
        --to "$(python3 -c "import json;print(json.load(open('$dir/truth/truth.json'))['scope']['to'])")")
actors=()
for a in $(python3 -c "import json;print(' '.join(json.load(open('$dir/truth/truth.json'))['scope']['actors']))"); do
  actors+=(--actor "$a")
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
elapsed() {
  /usr/bin/time -f "%e" -o "$tmp/t" "$@" >/dev/null 2>&1
  cat "$tmp/t"
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
hunt=(); scope=(); store=(); fromdb=()
for _ in $(seq "$runs"); do
  hunt+=("$(elapsed ./target/release/phiwatch hunt "$logs" --inventory "$inv" -q --format jsonl -o /dev/null)")
  scope+=("$(elapsed ./target/release/phiwatch scope "$logs" --inventory "$inv" "${window[@]}" "${actors[@]}" --discovered 2026-12-01 -q -o /dev/null)")
  rm -f "$tmp"/case.db*
  store+=("$(elapsed ./target/release/phiwatch hunt "$logs" --inventory "$inv" --store "$tmp/case.db" -q --format jsonl -o /dev/null)")
  fromdb+=("$(elapsed ./target/release/phiwatch scope --store "$tmp/case.db" --inventory "$inv" "${window[@]}" "${actors[@]}" --discovered 2026-12-01 -q -o /dev/null)")
done
h=$(printf '%s\n' "${hunt[@]}" | median)
s=$(printf '%s\n' "${scope[@]}" | median)
w=$(printf '%s\n' "${store[@]}" | median)
d=$(printf '%s\n' "${fromdb[@]}" | median)
events=$(./target/release/phiwatch hunt "$logs" --no-analytics --no-incidents --format jsonl -o /dev/null 2>&1 | grep -o '[0-9]* events against' | grep -o '^[0-9]*')
counts=$(sqlite3 "$tmp/case.db" "SELECT (SELECT count(*) FROM accesses), (SELECT count(*) FROM flows), (SELECT count(*) FROM findings)" 2>/dev/null || echo "?")
out="bench/results/$(date -u +%F)-scope.txt"
mkdir -p bench/results
{
  echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD 2>/dev/null || echo nogit) $(nproc) cores, $(uname -m); $scale, $days days, $events events; medians of $runs elapsed s"
  echo "hunt (every detector; the limit): $h s (${hunt[*]})"
  echo "scope over the logs: $s s (${scope[*]})"
  echo "hunt --store (fresh store): $w s (${store[*]})"
  echo "scope --store (no logs): $d s (${fromdb[*]}); store rows accesses|flows|findings: $counts"
  awk -v h="$h" -v s="$s" -v w="$w" -v d="$d" -v n="$events" 'BEGIN {
    printf "scope over logs: %.0f events/s, %.2fx hunt; hunt --store: %.2fx hunt; scope --store: %.3fx hunt (%.0f events of logs answered per second)\n",
      n / s, s / h, w / h, d / h, n / d }'
  echo
} | tee -a "$out"
