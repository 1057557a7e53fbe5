#!/usr/bin/env bash
# ETL benchmark: 1,000,000-row MemberData.csv (~1 % bad rows) through our ETL from moto's
# S3 vs plain LOAD DATA LOCAL INFILE into a bare table, same throwaway MariaDB.
#
#   bench/etl.sh                                   # 3 interleaved runs each, medians
#   bench/etl.sh --runs 5
#   bench/etl.sh --strategies staging,single-merge,executemany   # the sink choice
#   bench/etl.sh --profile                         # py-spy the first ETL run (raw stacks)
#
# Needs mariadbd / mariadb-install-db (tools/setup.sh --test) and the bench group
# (uv sync --all-groups) for py-spy. Prints a Markdown table; bench/out/etl-latest.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec .venv/bin/python bench/etl_bench.py run "$@"
