"""Copy the browser libraries the web app serves from npm into the package, at pinned versions.

The pages load every script from this server (no CDN: the app must work offline and under its
``script-src 'self'`` policy), so a library is vendored as files under
``erm_graph/web/static/vendor/<package>/`` together with its licence. To upgrade one, change its
pin below and run ``make vendor`` (needs ``npm``); ``tests/test_vendor.py`` checks that the
vendored files are the pinned version.

The console's editor is CodeMirror 5 (its last line, 5.65, still gets fixes), not the
``@neo4j-cypher/codemirror`` package on CodeMirror 6 that issue 19 named: CodeMirror 5 ships
plain browser files (the editor, its Cypher mode and its completion pop-up) that are copied as
they are, while CodeMirror 6 and the Neo4j package come as ES modules in some thirty packages
that need a bundler (npm install, esbuild) at every ``make vendor`` and a built file nobody can
check against its pin. The whole editor is about 430 KB unminified, about what a CodeMirror 6
bundle with the Neo4j language weighs. Completion is filled from the model the server answers
(``/api/vocabulary``: the library's extension included), which the Neo4j package would need
to be given the same way.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "erm_graph" / "web" / "static" / "vendor"

#: npm package -> (pinned version, files copied from the package: path in the tarball -> name)
PINS: dict[str, tuple[str, dict[str, str]]] = {
    "echarts": ("6.1.0", {"dist/echarts.min.js": "echarts.min.js",
                          "LICENSE": "LICENSE", "NOTICE": "NOTICE"}),
    "codemirror": ("5.65.20", {"lib/codemirror.js": "codemirror.js",
                               "lib/codemirror.css": "codemirror.css",
                               "mode/cypher/cypher.js": "cypher.js",
                               "addon/hint/show-hint.js": "show-hint.js",
                               "addon/hint/show-hint.css": "show-hint.css",
                               "LICENSE": "LICENSE"}),
    # the relationship map's layered layout; the bundled build runs in a page without a
    # bundler or a web worker (EPL-2.0, its licence copied with it)
    "elkjs": ("0.12.1", {"lib/elk.bundled.js": "elk.bundled.js", "LICENSE.md": "LICENSE.md"}),
}


def vendor(package: str) -> Path:
    """Fetch ``package`` at its pin with ``npm pack`` and copy its files into the package."""
    version, files = PINS[package]
    target = VENDOR / package
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"{package}@{version}", "--silent"], cwd=tmp,
                       check=True, stdout=subprocess.DEVNULL)
        tarball = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(tarball) as tar:
            tar.extractall(tmp, filter="data")
        target.mkdir(parents=True, exist_ok=True)
        for source, name in files.items():
            shutil.copyfile(Path(tmp) / "package" / source, target / name)
    return target


if __name__ == "__main__":
    for name in sys.argv[1:] or PINS:
        print(f"vendored {name} {PINS[name][0]} into {vendor(name)}")
