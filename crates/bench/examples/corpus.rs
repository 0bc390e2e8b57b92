//! Writes a synthetic Zeek conn corpus to stdout: `corpus [tsv|json] [LINES] [SEED]`.
#![allow(missing_docs)]

use std::io::Write;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let kind = args.next().unwrap_or_else(|| "tsv".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(7);
    let text = match kind.as_str() {
        "json" => phiwatch_bench::zeek_conn_json(n, seed),
        _ => phiwatch_bench::zeek_conn_tsv(n, seed),
    };
    std::io::stdout().lock().write_all(text.as_bytes())
}
