#!/usr/bin/env bash
# Upload benchmark (issues 2, 16): hma-ingest against s5cmd, rclone, awscli v1 and a naive
# boto3 8-thread loop, all on one local moto S3 server (python -m moto.server, 127.0.0.1).
# obstore-floor (bench/obstore_floor.py, small files only) is a reference line, not a peer:
# the transport hma-ingest's small files go through, with nothing of ours around it.
#
# Data (generated once with a fixed seed into bench/out/upload-data, ~330 MiB):
#   small: 2,000 files of 1-64 KiB in 20 folders;  large: 4 x 64 MiB.
# Each round uploads both sets with every tool to a fresh bucket, checks that every
# object arrived (count + total bytes), then resets the server. Reported: files/s,
# MiB/s, client CPU per file (user+sys of the client's process tree, start-up
# included) and moto's CPU, as medians of the rounds and ratios to s5cmd/rclone.
# hma-ingest runs with the settings an earlier run kept (its job store and hash cache
# emptied before each upload); --settings first-run gives it fresh folders each time.
# The table goes into bench/RESULTS.md under "## Upload" (other sections are kept).
#
# Takes ~3 minutes for the default 3 rounds on a 2-core machine (5 rounds: ~5 minutes),
# plus ~20 s the first time (data generation, bytecode compilation).
# Needs: `uv sync --all-groups` (awscli, s5cmd, py-spy) and rclone (apt-get install rclone).
# Options: --runs N, --tools hma-ingest,s5cmd,..., --datasets small,large, --no-write,
# --settings kept|first-run,
# --profile DIR (py-spy --gil speedscope profiles of hma-ingest; figures then not comparable).
# Not part of the test suite. The machine's cores are shared with the server: compare
# the ratios within one run, not absolute figures across runs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x .venv/bin/python ]]; then
    echo "bench/upload.sh: no .venv here; run: UV_PYTHON_DOWNLOADS=never uv sync --all-groups" >&2
    exit 2
fi
for module in awscli s5cmd; do
    if ! .venv/bin/python -c "import $module" 2>/dev/null; then
        echo "bench/upload.sh: $module missing; run: uv sync --all-groups" >&2
        exit 2
    fi
done
# Installed Python apps run from compiled bytecode (pip compiles at install time); uv installs
# lazily and this machine sets PYTHONDONTWRITEBYTECODE=1, so without this every Python client
# (hma-ingest, awscli, boto3) would recompile its imports on each run (~0.4 s CPU each).
.venv/bin/python -m compileall -q -j0 .venv/lib/python*/site-packages hma_gui >/dev/null 2>&1 || true
exec .venv/bin/python bench/upload_bench.py "$@"
