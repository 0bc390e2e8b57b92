#!/usr/bin/env python3
"""Presidio's analyzer on the same log text phiwatch scans, in CPU seconds.

Runs presidio-analyzer's AnalyzerEngine with the ``no_op`` NLP engine (no
spaCy model: only the pattern recognizers and their validators run; context
words from the text are not used) over the first --mb megabytes of FILE,
line by line, and prints MB/s of CPU time (time.process_time). With
--phiwatch-mbps it also prints phiwatch's rate and the ratio.

With --labels DIR (a corpus written by the phi_corpus example: one file
per document and labels.jsonl) it also scores Presidio's findings against
the labels, per type Presidio has (same type and overlapping span = true
positive), for comparison with crates/phi/tests/eval.rs.

Usage: bench/presidio_compare.py FILE [--mb 1] [--phiwatch-mbps X] [--labels DIR]
Needs: pip install presidio-analyzer (no model download).
"""

import argparse
import json
import os
import sys
from collections import defaultdict
import time
import warnings


def offline_tldextract():
    """Presidio's email recognizer calls tldextract, which fetches the public
    suffix list over the network by default; use the bundled snapshot."""
    import tldextract
    from presidio_analyzer.predefined_recognizers.generic import email_recognizer

    extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    email_recognizer.tldextract.extract = extractor


def engine():
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    conf = {
        "nlp_engine_name": "no_op",
        "models": [{"lang_code": "en", "model_name": "no_op"}],
    }
    nlp = NlpEngineProvider(nlp_configuration=conf).create_engine()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])


def read_prefix(path, limit):
    """Whole lines of `path`, up to `limit` bytes."""
    lines, total = [], 0
    with open(path, "rb") as f:
        for raw in f:
            if total + len(raw) > limit and lines:
                break
            total += len(raw)
            lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
    return lines, total


# Presidio entity -> phiwatch type, where they mean the same thing.
# (MEDICAL_LICENSE is Presidio's DEA-number pattern.)
SAME = {
    "US_SSN": "US_SSN",
    "US_ITIN": "US_ITIN",
    "CREDIT_CARD": "CREDIT_CARD",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "IP_ADDRESS": "IP_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "MEDICAL_LICENSE": "US_DEA",
}


def score_labels(analyzer, corpus_dir):
    """Precision and recall of Presidio on the labeled corpus, per type."""
    labels = defaultdict(list)
    with open(os.path.join(corpus_dir, "labels.jsonl"), encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            labels[rec["path"]].append((rec["start"], rec["end"], rec["type"]))
    counts = defaultdict(lambda: [0, 0, 0, 0])  # labels, tp_labels, found, tp_found
    for path in sorted(labels):
        with open(os.path.join(corpus_dir, path), "rb") as f:
            data = f.read()
        found = []
        offset = 0
        for raw in data.split(b"\n"):
            text = raw.decode("utf-8")
            base = offset
            offset += len(raw) + 1
            for r in analyzer.analyze(text=text, language="en"):
                ty = SAME.get(r.entity_type)
                if ty:
                    s = base + len(text[: r.start].encode("utf-8"))
                    e = base + len(text[: r.end].encode("utf-8"))
                    found.append((s, e, ty))
        mine = labels[path]
        for s, e, ty in mine:
            c = counts[ty]
            c[0] += 1
            c[1] += any(t == ty and fs < e and s < fe for fs, fe, t in found)
        for s, e, ty in found:
            c = counts[ty]
            c[2] += 1
            c[3] += any(t == ty and ls < e and s < le for ls, le, t in mine)
    print(f"presidio on the labeled corpus {corpus_dir} (types it shares with phiwatch):")
    print(f"{'type':<16} {'labels':>6} {'TP':>6} {'FP':>6} {'FN':>6} {'precision':>9} {'recall':>7}")
    for ty in sorted(set(SAME.values())):
        n, tp_l, nf, tp_f = counts[ty]
        p = tp_f / nf if nf else 1.0
        r = tp_l / n if n else 1.0
        print(f"{ty:<16} {n:>6} {tp_l:>6} {nf - tp_f:>6} {n - tp_l:>6} {p:>9.3f} {r:>7.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--mb", type=float, default=1.0, help="megabytes of FILE to analyze")
    ap.add_argument("--phiwatch-mbps", type=float, help="phiwatch's MB/s on the same file")
    ap.add_argument("--labels", metavar="DIR", help="labeled corpus to score Presidio on")
    args = ap.parse_args()

    from importlib.metadata import version as dist_version

    offline_tldextract()
    analyzer = engine()
    version = dist_version("presidio-analyzer")
    recognizers = analyzer.registry.get_recognizers(language="en", all_fields=True)
    lines, nbytes = read_prefix(args.file, int(args.mb * 1e6))
    analyzer.analyze(text=lines[0] if lines else "", language="en")  # warm up

    found = 0
    t0 = time.process_time()
    for line in lines:
        found += len(analyzer.analyze(text=line, language="en"))
    cpu = time.process_time() - t0
    mbps = nbytes / 1e6 / max(cpu, 1e-9)
    print(
        f"presidio-analyzer {version} (no_op NLP engine, {len(recognizers)} recognizers): "
        f"{nbytes} bytes, {len(lines)} lines, {cpu:.2f} CPU s, {mbps:.3f} MB/s, {found} findings"
    )
    if args.phiwatch_mbps:
        print(
            f"phiwatch {args.phiwatch_mbps:.1f} MB/s vs presidio {mbps:.3f} MB/s: "
            f"ratio {args.phiwatch_mbps / mbps:.0f}x"
        )
    if args.labels:
        score_labels(analyzer, args.labels)
    return 0


if __name__ == "__main__":
    sys.exit(main())
