#!/usr/bin/env bash
# Build the double-clickable app: dist/hma-ingest/ (PyInstaller --onedir bundle).
#
#   bash packaging/build.sh          # venv synced from uv.lock, then PyInstaller
#   bash packaging/build.sh --fresh  # also throw away the build venv and PyInstaller's cache
#
# The build venv (packaging/build/venv) holds exactly the app's locked runtime
# dependencies and PyInstaller (`uv sync` removes anything else), never the dev
# tools of ./.venv, so no test package can slip into the bundle. The app's own
# code is taken from this checkout. Works on Linux, macOS and Windows (Git Bash);
# see docs/packaging.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

fresh=0
for arg in "$@"; do
  case "$arg" in
    --fresh) fresh=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

build_dir="$here/packaging/build"
venv="$build_dir/venv"
if [ "$fresh" = 1 ]; then
  rm -rf "$build_dir" "$here/dist/hma-ingest"
fi

# uv: from PATH, or the private copy tools/setup.sh installs.
uv_bin="$(command -v uv || true)"
if [ -z "$uv_bin" ]; then
  uv_bin="${XDG_CACHE_HOME:-$HOME/.cache}/hma-ingest/uv-venv/bin/uv"
  [ -x "$uv_bin" ] || { echo "build.sh: uv not found (run: bash tools/setup.sh)" >&2; exit 1; }
fi

started=$(date +%s)
export UV_PYTHON_DOWNLOADS=never
UV_PROJECT_ENVIRONMENT="$venv" "$uv_bin" sync --frozen --quiet --python python3 \
  --no-default-groups --group build --no-install-project

case "$(uname -s)" in
  MINGW*|MSYS*|CYGWIN*) python="$venv/Scripts/python.exe" ;;
  *) python="$venv/bin/python" ;;
esac

"$python" -m PyInstaller --noconfirm --log-level WARN \
  --distpath "$here/dist" --workpath "$build_dir/work" "$here/packaging/hma.spec"

bundle="$here/dist/hma-ingest"
[ -d "$bundle" ] || bundle="$here/dist/HMA Ingest.app"
size=$(du -sm "$bundle" | cut -f1)
echo "build.sh: $bundle ($size MB) in $(( $(date +%s) - started )) s"
