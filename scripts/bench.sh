#!/usr/bin/env bash
# Runs the Go benchmarks (make bench) and prints one table row per benchmark with its custom
# metrics (rows/s, events/s). Extra arguments go to go test, e.g. ./scripts/bench.sh -benchtime=3x.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test -run '^$' -bench . -benchmem -timeout 60m "$@" ./... | tee "$out" >&2
echo
printf '%-58s %s\n' "benchmark" "result"
awk '/^Benchmark/ { name=$1; $1=""; $2=""; printf "%-58s %s\n", name, $0 }' "$out"
