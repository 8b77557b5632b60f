#!/usr/bin/env bash
# make fuzz: runs every fuzz target of the module for FUZZTIME each (default 1m). `go test` runs
# their seed corpora on every test run; this explores beyond them. A failing input is written to
# the package's testdata/fuzz/<target>/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-1m}
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
	dir=$(dirname "$file")
	for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //'); do
		echo "==> $dir $target ($FUZZTIME)"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$dir"
	done
done
