#!/usr/bin/env bash
# PHI scan throughput on log text, and Presidio side by side.
# First the scanner itself: phiwatch-phi-bench (crates/bench/src/bin/phi.rs)
# on 64 MB of generated mixed log text (corpus::mixed_logs: access lines with
# an IP each and identifiers in some query strings, JSON lines, notes) —
# Scanner::scan and scan_document (as `phiwatch scan` reads text), medians of
# RUNS, against a memchr newline count over the same bytes in the same
# process — and on the dense file below.
# Then writes MB megabytes of synthetic access and application log lines (from the
# labeled evaluation corpus, crates/phi/src/corpus; dense: every access line
# has a client IP and most lines carry an identifier) to
# bench/corpus/phi/logs.txt (git-ignored), then:
# - times `phiwatch scan FILE --format jsonl -o /dev/null` (best of RUNS,
#   CPU seconds user+sys, so MB/s is per core; findings written as JSON
#   lines included) with its ratio to `wc -l` over the same bytes (a
#   memchr-speed newline count); if the binary has no
#   `scan` command, runs the criterion bench `phiwatch-phi --bench scan`
#   instead (its own 8 MB text, with its memchr limit);
# - if `python3 -c "import presidio_analyzer"` works, runs
#   bench/presidio_compare.py on the first PRESIDIO_MB of the same file
#   (Presidio's AnalyzerEngine, no_op NLP engine, line by line, CPU seconds)
#   and prints both rates and their ratio, then Presidio's precision and
#   recall on the labeled corpus (seed and scale of crates/phi/tests/eval.rs,
#   written to bench/corpus/phi/labeled) for the types it shares with us.
# Appends to bench/results/YYYY-MM-DD-phi.txt.
# Usage: bench/phi.sh [MB] [PRESIDIO_MB] [RUNS]   (defaults: 50 1 3)
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-50}"
presidio_mb="${2:-1}"
runs="${3:-3}"
cargo build --release --locked -p phiwatch-phi --example phi_corpus
cargo build --release --locked -p phiwatch-bench --bin phiwatch-phi-bench
dir=bench/corpus/phi
file="$dir/logs.txt"
# Regenerated every run (well under a second): it follows the generator.
./target/release/examples/phi_corpus "$dir" --logs-mb "$mb" >/dev/null
rm -rf "$dir/labeled"
./target/release/examples/phi_corpus "$dir/labeled" --scale 20 >/dev/null
bytes=$(stat -c %s "$file")
timing=$(mktemp)
trap 'rm -f "$timing"' EXIT

# Best (lowest) CPU seconds of $runs runs of the command.
best_cpu() {
  local best="" cpu
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%U %S" -o "$timing" "$@" >/dev/null 2>&1
    cpu=$(awk '{ printf "%.3f", $1 + $2 }' "$timing")
    if [ -z "$best" ] || awk -v a="$cpu" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best="$cpu"
    fi
  done
  echo "$best"
}

mbps() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.1f", b / 1e6 / (s > 0.001 ? s : 0.001) }'; }

out="bench/results/$(date -u +%F)-phi.txt"
mkdir -p bench/results
{
  echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD 2>/dev/null || echo nogit) $(nproc) cores, $(uname -m)"
  ./target/release/phiwatch-phi-bench 64 "$runs"
  ./target/release/phiwatch-phi-bench 0 "$runs" "$file"
  echo "corpus: $file, $bytes bytes of access and application log lines"
  phiwatch_mbps=""
  if cargo build --release --locked -p phiwatch >/dev/null 2>&1 &&
    ./target/release/phiwatch scan --help >/dev/null 2>&1; then
    cpu=$(best_cpu ./target/release/phiwatch scan "$file" --format jsonl -o /dev/null)
    # One wc -l is too quick for time's 10 ms resolution: time 20.
    limit=$(best_cpu sh -c 'for _ in $(seq 20); do wc -l "$1"; done' sh "$file")
    limit=$(awk -v s="$limit" 'BEGIN { printf "%.4f", s / 20 }')
    phiwatch_mbps=$(mbps "$cpu")
    findings=$(./target/release/phiwatch scan "$file" --format jsonl -q 2>/dev/null | wc -l)
    echo "phiwatch scan: ${cpu} CPU s, ${phiwatch_mbps} MB/s per core, ${findings} findings (best of $runs)"
    echo "limit (wc -l): ${limit} CPU s, $(mbps "$limit") MB/s; phiwatch at $(awk -v a="$cpu" -v b="$limit" 'BEGIN { printf "%.0f", a / (b > 0.001 ? b : 0.001) }')x its time"
  else
    echo "phiwatch scan: not available; criterion bench phiwatch-phi/scan instead"
    cargo bench -p phiwatch-phi --bench scan 2>&1 | grep -E "^[a-z].*|time:|thrpt:" || true
  fi
  if python3 -c "import presidio_analyzer" 2>/dev/null; then
    python3 bench/presidio_compare.py "$file" --mb "$presidio_mb" --labels "$dir/labeled" \
      ${phiwatch_mbps:+--phiwatch-mbps "$phiwatch_mbps"}
  else
    echo "presidio: not installed (pip install presidio-analyzer), skipped"
  fi
  echo
} | tee -a "$out"
