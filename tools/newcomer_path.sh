#!/usr/bin/env bash
# A newcomer's first session through the real window under Xvfb (a 1024×700 screen).
#   bash tools/newcomer_path.sh             # scale 1
#   bash tools/newcomer_path.sh --scale 2   # QT_SCALE_FACTOR=2
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scale=1
if [[ "${1:-}" == "--scale" ]]; then scale="$2"; shift 2; fi
exec xvfb-run -a -s "-screen 0 1024x700x24" \
    env QT_QPA_PLATFORM=xcb QT_SCALE_FACTOR="$scale" .venv/bin/python tools/newcomer_path.py "$@"
