#!/usr/bin/env bash
# Duplicate finders on a 50,000-file tree: hma-ingest check-duplicates against jdupes,
# fdupes and rmlint, cold and warm, plus our re-scan with the hash cache.
# Appends the table to bench/RESULTS.md (## Duplicates). Cold runs need root
# (they drop the page cache; --warm-only never does). Options: --tree DIR --files N
# --runs N --no-record --warm-only
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
for tool in jdupes fdupes rmlint; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install -y jdupes fdupes rmlint" >&2; exit 2; }
done
exec "$PYTHON" bench/dupes_bench.py "$@"
