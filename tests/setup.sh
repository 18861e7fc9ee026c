#!/usr/bin/env bash
# Installs what the tests need beyond Python packages (run by `make test`, idempotent and quick
# when everything is already there). Each section checks before it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

# -- browser tests (tests/e2e): Debian's Chromium, driven by Playwright for Python with
#    executable_path=/usr/bin/chromium. Never `playwright install` (no browser downloads here).
if [ ! -x /usr/bin/chromium ]; then
    export DEBIAN_FRONTEND=noninteractive
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq chromium >/dev/null
fi

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
