#!/usr/bin/env python3
"""Regenerate the compact MITRE ATT&CK tables embedded by phiwatch-finding.

Reads the derived MITRE CTI JSON (default: /work/shared/data/attack/) and
writes, next to this script:

  attack-tactics.tsv     id <TAB> shortname <TAB> name          (matrix order)
  attack-techniques.tsv  id <TAB> name <TAB> tactic,shortnames   (sorted by id)

Usage: python3 update-attack.py [SOURCE_DIR]
Standard library only. Tabs and newlines inside names are replaced by spaces.
"""
import json
import os
import sys


def clean(s):
    return " ".join(str(s).split())


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/attack"
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(src, "tactics.json"), encoding="utf-8") as f:
        tactics = json.load(f)
    with open(os.path.join(src, "enterprise-techniques.json"), encoding="utf-8") as f:
        techniques = json.load(f)
    known = {t["shortname"] for t in tactics}
    with open(os.path.join(here, "attack-tactics.tsv"), "w", encoding="utf-8", newline="\n") as out:
        out.write("# id\tshortname\tname (MITRE ATT&CK Enterprise tactics, matrix order)\n")
        for t in tactics:
            out.write(f"{clean(t['id'])}\t{clean(t['shortname'])}\t{clean(t['name'])}\n")
    with open(os.path.join(here, "attack-techniques.tsv"), "w", encoding="utf-8", newline="\n") as out:
        out.write("# id\tname\ttactic shortnames (MITRE ATT&CK Enterprise techniques)\n")
        for t in sorted(techniques, key=lambda t: t["id"]):
            tacs = [s for s in t.get("tactics", []) if s in known]
            out.write(f"{clean(t['id'])}\t{clean(t['name'])}\t{','.join(tacs)}\n")
    print(f"wrote {len(tactics)} tactics, {len(techniques)} techniques", file=sys.stderr)


if __name__ == "__main__":
    main()
