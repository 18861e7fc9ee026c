"""Play the openCypher TCK on the embedded engine and write docs/conformance.md.

    python tools/gen_conformance.py                 # rewrite docs/conformance.md
    python tools/gen_conformance.py --list wrong    # also print every scenario of an outcome
    python tools/gen_conformance.py --check         # exit 1 when the doc is stale

The TCK is read from ERM_TCK_DIR or ../shared/opencypher-tck beside the checkout.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from erm_graph.conformance import report  # noqa: E402

DOC = ROOT / "docs" / "conformance.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--list", action="append", default=[], metavar="OUTCOME")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="erm-tck-") as scratch:
        results = report.play_embedded(Path(scratch))
    text = report.markdown(results)
    for outcome in args.list:
        for r in results:
            if r.outcome == outcome:
                print(f"{r.scenario.key}\n  {r.scenario.query!r}\n  {r.detail}\n"
                      f"  {r.warnings}")
    print(report.summary(results))
    if args.check:
        if DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC.relative_to(ROOT)} is stale: run python tools/gen_conformance.py")
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
