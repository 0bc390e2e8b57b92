#!/usr/bin/env bash
# End-to-end ingestion benchmark. Prints records/s for Zeek conn TSV and JSON,
# a pgAudit stderr log, FHIR AuditEvent NDJSON and the bundled EVTX files,
# and the ratio to reading the same bytes with memchr in the same process,
# and appends the result to bench/results/YYYY-MM-DD-ingest.txt.
# Usage: bench/ingest.sh [LINES] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p phiwatch-bench
out="bench/results/$(date -u +%F)-ingest.txt"
mkdir -p bench/results
{
  echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD 2>/dev/null || echo nogit) $(nproc) cores, $(uname -m)"
  ./target/release/phiwatch-bench "${1:-1000000}" "${2:-5}"
  echo
} | tee -a "$out"
