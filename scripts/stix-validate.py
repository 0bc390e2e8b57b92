#!/usr/bin/env python3
"""Validate STIX 2.1 files with the OASIS validator (stix2-validator).

Usage: scripts/stix-validate.py FILE...

Each file is checked as STIX 2.1 with the validator's default options:
errors (schema violations, MUST rules, bad patterns and ids) fail the file;
warnings (SHOULD rules) are printed but allowed. Exits 0 when every file is
valid, 1 when any is not, 2 on a usage error or when the validator is not
installed (`pip install stix2-validator`).
"""

import sys


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        from stix2validator import ValidationOptions, print_results, validate_file
    except ImportError:
        print("stix-validate: stix2validator is not installed "
              "(pip install stix2-validator)", file=sys.stderr)
        return 2
    options = ValidationOptions(version="2.1", strict=False)
    failed = 0
    for path in argv[1:]:
        try:
            result = validate_file(path, options)
        except Exception as exc:  # unreadable file, bad JSON: invalid, not a crash
            print(f"stix-validate: {path}: INVALID: {exc}", flush=True)
            failed += 1
            continue
        print_results([result])
        sys.stderr.flush()
        print(f"stix-validate: {path}: {'valid' if result.is_valid else 'INVALID'}", flush=True)
        if not result.is_valid:
            failed += 1
    total = len(argv) - 1
    print(f"stix-validate: {total - failed} of {total} file(s) valid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
