#!/usr/bin/env bash
# Interleaved A/B of hma-ingest's client CPU for the 2,000 small files (issue 16).
#
# usage: bash bench/upload_cpu_ab.sh ROUNDS CHECKOUT_A CHECKOUT_B [...]
# Each CHECKOUT is a worktree with a .venv (a symlink to another's is fine: the code
# run is the checkout's own, `python -m hma_gui.cli` from its folder). One moto server;
# every run gets an empty bucket and job store (see below). Prints user+sys CPU of
# `python -m hma_gui.cli upload --scope mba bench/out/upload-data/small` per file.
# The data set comes from `bash bench/upload.sh --datasets small` (run it once first).
# Compile bytecode in every checkout first (`.venv/bin/python -m compileall -q hma_gui`).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
rounds=$1
shift
data="$here/bench/out/upload-data/small"
[[ -d "$data" ]] || { echo "no $data: run bench/upload.sh --datasets small once" >&2; exit 2; }
work="$(mktemp -d)"
port=$((20000 + RANDOM % 10000))
"$here/.venv/bin/python" -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill "$moto"; rm -rf "$work"' EXIT
sleep 3
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE="$work/aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/aws-credentials"
export AWS_EC2_METADATA_DISABLED=true
# Each checkout keeps its settings folder and its kept settings (`kept_settings`) from
# one run to the next, as an analyst's machine does, warmed by one `status`; its job
# store and hash cache are removed before each run and the server is reset, so every
# run uploads all files to an empty bucket of the same name. FIRST_RUN=1: fresh folders.
run_cli() {  # tree index, then the command's arguments
    local tree=$1 index=$2
    shift 2
    (cd "$tree" && HMA_S3_ENDPOINT_URL="http://127.0.0.1:$port" \
        HMA_CONFIG_DIR="$work/tree$index/config" HMA_DATA_DIR="$work/tree$index/data" \
        HMA_MBA_BUCKET="ab-bucket" HMA_MBA_PREFIX=up/ "$@")
}
index=0
for tree in "$@"; do
    index=$((index + 1))
    [[ "${FIRST_RUN:-0}" == 1 ]] || run_cli "$tree" "$index" .venv/bin/python -m hma_gui.cli status >/dev/null
done
for _ in $(seq "$rounds"); do
    index=0
    for tree in "$@"; do
        index=$((index + 1))
        curl -s -X POST "http://127.0.0.1:$port/moto-api/reset" >/dev/null
        "$here/.venv/bin/python" -c "import boto3; boto3.client('s3', endpoint_url='http://127.0.0.1:$port').create_bucket(Bucket='ab-bucket')"
        if [[ "${FIRST_RUN:-0}" == 1 ]]; then
            rm -rf "$work/tree$index"
        else
            find "$work/tree$index/data" -mindepth 1 -maxdepth 1 ! -name kept-settings.json -exec rm -rf {} +
        fi
        load=$(cut -d' ' -f1 /proc/loadavg)
        times=$(run_cli "$tree" "$index" /usr/bin/time -f "%U %S %e" \
            .venv/bin/python -m hma_gui.cli upload --scope mba "$data" 2>&1 >/dev/null | tail -1)
        echo "$tree load=$load $(echo "$times" | awk '{printf "user=%s sys=%s wall=%s cpu_ms_per_file=%.3f", $1, $2, $3, ($1 + $2) * 1000 / 2000}')"
    done
done
