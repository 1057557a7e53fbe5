#!/usr/bin/env bash
# Packaged app benchmark (issue 7): the size of dist/hma-ingest on disk and the start
# to the main window shown (median of --runs, default 5; "cold" = page cache dropped
# before each run, which needs root), with AWS credentials and in the sandbox.
# Builds the bundle first when dist/hma-ingest is missing or stale.
#
#   bash bench/bundle.sh                 # ~1 minute; appends to bench/RESULTS.md (## Packaged app)
#   bash bench/bundle.sh --exclusions    # + one build per exclusion rule: ~8 minutes
#   bash bench/bundle.sh --no-write      # print only
#
# Uses Xvfb (a real X server, as tools/setup.sh --test installs) when present, else
# Qt's offscreen platform (--offscreen forces it). Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x .venv/bin/python ]]; then
    echo "bench/bundle.sh: no .venv here; run: bash tools/setup.sh --test" >&2
    exit 2
fi
exec .venv/bin/python bench/bundle_bench.py "$@"
