#!/usr/bin/env bash
# Install everything the tests need, then lint, type-check and run the whole suite.
#   bash tools/test.sh            # all tests (starts its own moto server and MariaDB)
#   bash tools/test.sh -k upload  # extra arguments go to pytest
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bash tools/setup.sh --test
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
echo "== ruff"; .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy"; .venv/bin/mypy
echo "== pytest"; .venv/bin/python -m pytest "$@"
