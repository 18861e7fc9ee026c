#!/usr/bin/env bash
# Installs what the tests need beyond Python packages (run by `make test`, idempotent and quick
# when everything is already there). Each section checks before it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests run: installed once, when the program is missing.
debian_package() {  # PROGRAM PACKAGE
    if [ ! -x "$1" ]; then
        local sudo=""
        if [ "$(id -u)" != "0" ]; then sudo="sudo"; fi
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$2" >/dev/null
    fi
}

# -- browser tests (tests/e2e): Debian's Chromium, driven by Playwright for Python with
#    executable_path=/usr/bin/chromium. Never `playwright install` (no browser downloads here).
debian_package /usr/bin/chromium chromium
# -- strace holds the real embedded server between two steps of its shutdown
#    (tests/test_store_embedded.py)
debian_package /usr/bin/strace strace

# Neo4j's Cypher linter for tests/test_cypher_lint.py (node + npm @neo4j-cypher/language-support).
if command -v npm >/dev/null 2>&1 && [ ! -d tools/cypher-lint/node_modules ]; then
    (cd tools/cypher-lint && { npm ci --no-audit --no-fund --silent \
        || npm install --no-audit --no-fund --silent; })
fi

# axe-core, the accessibility checker tests/e2e/a11y.py injects into each page (tests only: it is
# not part of the package).
if command -v npm >/dev/null 2>&1 && [ ! -d tools/a11y/node_modules ]; then
    (cd tools/a11y && { npm ci --no-audit --no-fund --silent \
        || npm install --no-audit --no-fund --silent; })
fi
