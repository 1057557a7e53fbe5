#!/usr/bin/env bash
# Build the Lambda zip of hma-mba-csv-to-rds: dist/lambda/hma-mba-csv-to-rds.zip
#
#   bash packaging/lambda/build.sh [OUT.zip]
#
# The zip holds the handler (hma_gui/lambdas/), the Qt-free core (hma_gui/core/)
# and the handler's runtime dependencies as manylinux wheels for Lambda's
# python3.11 on x86_64, at the versions of uv.lock. Nothing of the desktop app
# goes in: no hma_gui/ui, no hma_gui/cli, no PySide6, no moto, no watchdog.
# boto3 is packed too (the runtime's own copy lags and is not pinned).
# Wheels come from uv's cache (PyPI when missing). Lambda's limit is 50 MB zipped.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
out="${1:-$here/dist/lambda/hma-mba-csv-to-rds.zip}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac

uv_bin="$(command -v uv || true)"
if [ -z "$uv_bin" ]; then
  uv_bin="${XDG_CACHE_HOME:-$HOME/.cache}/hma-ingest/uv-venv/bin/uv"
  [ -x "$uv_bin" ] || { echo "build.sh: uv not found (run: bash tools/setup.sh)" >&2; exit 1; }
fi

# What the handler imports at run time (checked by tests/packaging/test_lambda_zip.py).
requirements=(boto3 PyMySQL pydantic pydantic-settings platformdirs tomli-w)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"

"$uv_bin" export --frozen --no-dev --no-hashes --no-emit-project --format requirements-txt \
  > "$work/constraints.txt"
"$uv_bin" pip install --quiet --target "$root" --constraint "$work/constraints.txt" \
  --python-platform x86_64-manylinux2014 --python-version 3.11 --only-binary :all: \
  "${requirements[@]}"

mkdir -p "$root/hma_gui"
cp hma_gui/__init__.py "$root/hma_gui/"
cp -r hma_gui/core hma_gui/lambdas "$root/hma_gui/"
find "$root" \( -name "__pycache__" -o -name "*.dist-info" -prune -false \) -type d -print0 \
  | xargs -0 rm -rf
find "$root" -name "*.pyc" -delete
rm -rf "$root/bin" "$root/.lock"

mkdir -p "$(dirname "$out")"
rm -f "$out"
(cd "$root" && zip -q -r -X -9 "$out" .)
size=$(stat -c %s "$out")
echo "built $out ($((size / 1024)) KiB)"
if [ "$size" -gt $((50 * 1024 * 1024)) ]; then
  echo "build.sh: the zip is over Lambda's 50 MB limit" >&2
  exit 1
fi
