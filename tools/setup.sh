#!/usr/bin/env bash
# Install HMA Ingest on Debian 12 (or Ubuntu): system libraries, uv, and the
# virtual environment in ./.venv with the locked dependencies.
#
#   bash tools/setup.sh          # what the app needs to run
#   bash tools/setup.sh --test   # + what the test suite needs (MariaDB, jdupes, Xvfb)
#   bash tools/setup.sh --bench  # + the peer tools of the benchmarks (rclone, fdupes, rmlint…)
#
# Runs as root or through sudo for the apt part; everything else stays in the
# checkout (./.venv) and uv's cache. Safe to run again.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

want_test=0
want_bench=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    --bench) want_test=1; want_bench=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

# Qt's runtime libraries (offscreen and X11/xcb), fonts, venv support.
app_packages=(
  python3 python3-venv ca-certificates
  libegl1 libgl1 libglib2.0-0 libx11-6 libxkbcommon0 libfontconfig1 libfreetype6 libdbus-1-3
  fonts-dejavu-core
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-render0
  libxcb-shape0 libxcb-util1 libxcb-xkb1 libxkbcommon-x11-0 libx11-xcb1 libxcb-randr0
  libxcb-shm0 libxcb-sync1 libxcb-xfixes0
)
test_packages=(mariadb-server mariadb-client jdupes xvfb xauth
  x11-utils xdotool imagemagick desktop-file-utils)  # the packaged app on a real X server
bench_packages=(rclone fdupes rmlint hyperfine time)

packages=("${app_packages[@]}")
[ "$want_test" = 1 ] && packages+=("${test_packages[@]}")
[ "$want_bench" = 1 ] && packages+=("${bench_packages[@]}")

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "setup.sh: run as root or install sudo" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "setup.sh: installing ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# uv: from PATH, or installed once into a private venv (PEP 668 forbids pip --user on Debian).
uv_bin="$(command -v uv || true)"
if [ -z "$uv_bin" ]; then
  tools_venv="${XDG_CACHE_HOME:-$HOME/.cache}/hma-ingest/uv-venv"
  if [ ! -x "$tools_venv/bin/uv" ]; then
    python3 -m venv "$tools_venv"
    "$tools_venv/bin/pip" install -q --disable-pip-version-check uv
  fi
  uv_bin="$tools_venv/bin/uv"
fi

export UV_PYTHON_DOWNLOADS=never
export UV_COMPILE_BYTECODE=1  # start-up: never recompile imports (PYTHONDONTWRITEBYTECODE machines)
groups=(--no-default-groups --inexact)  # the app alone; keeps dev tools already installed
[ "$want_test" = 1 ] && groups=(--group dev --extra service --inexact)  # the API's tests
[ "$want_bench" = 1 ] && groups+=(--group bench)
"$uv_bin" sync --frozen --python python3 "${groups[@]}"
echo "setup.sh: ready (.venv)"
