#!/usr/bin/env python3
"""Presidio's analyzer on the same log text phiwatch scans, in CPU seconds.

Runs presidio-analyzer's AnalyzerEngine with the ``no_op`` NLP engine (no
spaCy model: only the pattern recognizers and their validators run; context
words from the text are not used) over the first --mb megabytes of FILE,
line by line, and prints MB/s of CPU time (time.process_time). With
--phiwatch-mbps it also prints phiwatch's rate and the ratio.

Usage: bench/presidio_compare.py FILE [--mb 1] [--phiwatch-mbps X]
Needs: pip install presidio-analyzer (no model download).
"""

import argparse
import sys
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--mb", type=float, default=1.0, help="megabytes of FILE to analyze")
    ap.add_argument("--phiwatch-mbps", type=float, help="phiwatch's MB/s on the same file")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
