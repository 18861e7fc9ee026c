#!/usr/bin/env bash
# Installs what the tests need beyond Python packages (run by `make test`, idempotent and quick
# when everything is already there). Each section checks before it installs.
set -euo pipefail
cd "$(dirname "$0")/.."
