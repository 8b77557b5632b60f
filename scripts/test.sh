#!/usr/bin/env bash
# The test command (make test): everything the tests need, on a fresh machine.
#  1. builds a pinned MinIO server from source with the Go toolchain (first run only; cached in .cache/bin),
#  2. starts it on a free loopback port with a temporary data directory,
#  3. runs go vet and go test -race ./... against it (S3 tests fail rather than skip),
#  4. stops it and removes its data, whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."

MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c # the last published MinIO server module
BIN="$PWD/.cache/bin"
if [ ! -x "$BIN/minio" ] || [ "$(cat "$BIN/minio.version" 2>/dev/null)" != "$MINIO_VERSION" ]; then
	echo "==> building MinIO $MINIO_VERSION from source (first run only, about 5-10 minutes)"
	mkdir -p "$BIN"
	GOBIN="$BIN" GOFLAGS=-buildvcs=false go install "github.com/minio/minio@$MINIO_VERSION"
	echo "$MINIO_VERSION" >"$BIN/minio.version"
fi

free_port() {
	local p
	for _ in $(seq 1 100); do
		p=$((20000 + RANDOM % 20000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	echo "no free port found" >&2
	return 1
}

DATA=$(mktemp -d)
PORT=$(free_port)
export MINIO_ROOT_USER=netops-test MINIO_ROOT_PASSWORD=netops-test-secret MINIO_BROWSER=off
"$BIN/minio" server --quiet --address "127.0.0.1:$PORT" "$DATA" >"$DATA.log" 2>&1 &
MINIO_PID=$!
cleanup() {
	kill "$MINIO_PID" 2>/dev/null || true
	wait "$MINIO_PID" 2>/dev/null || true
	rm -rf "$DATA" "$DATA.log"
}
trap cleanup EXIT INT TERM

for i in $(seq 1 100); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
	if ! kill -0 "$MINIO_PID" 2>/dev/null; then
		echo "MinIO exited:" >&2
		cat "$DATA.log" >&2
		exit 1
	fi
	sleep 0.2
done
echo "==> MinIO on 127.0.0.1:$PORT"

export NETOPS_TEST_S3_ENDPOINT="127.0.0.1:$PORT"
export NETOPS_TEST_S3_ACCESS_KEY="$MINIO_ROOT_USER" NETOPS_TEST_S3_SECRET_KEY="$MINIO_ROOT_PASSWORD"
export NETOPS_TEST_REQUIRE_S3=1
export NETOPS_TEST_MINIO_BIN="$BIN/minio" # the chaos suite starts (and stops) a MinIO of its own

# The console's browser tests (internal/console TestBrowser, cmd/netops TestConsoleE2E) drive
# Debian's headless Chromium; they must run, not skip, wherever it can be installed.
if ! command -v chromium >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "==> installing Debian's chromium (first run only)"
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; } ||
			echo "installing chromium failed: the browser tests skip" >&2
	else
		echo "chromium missing, and not root to install it (sudo apt-get install chromium): the browser tests skip" >&2
	fi
fi
if command -v chromium >/dev/null; then export NETOPS_TEST_REQUIRE_BROWSER=1; fi

echo "==> go vet ./..."
go vet ./...
echo "==> go test -race ./..."
go test -race -timeout 30m ./... "$@"
echo "==> go test -run TestClosedLoop ./cmd/netops (the whole system, without the race detector)"
go test -count=1 -timeout 15m -run TestClosedLoop ./cmd/netops "$@"
echo "==> go test -run TestConsoleE2E ./cmd/netops (the web console in headless Chromium, without the race detector)"
go test -count=1 -timeout 10m -run TestConsoleE2E ./cmd/netops "$@"
echo "==> go test -run TestDriftMagnitudeUp ./cmd/netops (a simulated day, then a covariate drift, without the race detector)"
go test -count=1 -timeout 15m -run TestDriftMagnitudeUp ./cmd/netops "$@"
echo "==> chaos suite (internal/chaos, build tag chaos: kills, NATS restart, MinIO outage, duplicates, poison)"
go test -tags chaos -count=1 -timeout 20m -v ./internal/chaos/

# Deployment files (deploy/validate, a module of its own so Knative's dependencies stay out of
# go.mod): the Dockerfile's build, stack.yml, knative/ and deploy/monitoring, checked by the tools
# that consume them. Prometheus and Alertmanager come from Debian's packages.
if ! command -v promtool >/dev/null || ! command -v amtool >/dev/null || ! command -v prometheus >/dev/null ||
	! { command -v prometheus-alertmanager || command -v alertmanager; } >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "==> installing Debian's prometheus and prometheus-alertmanager (first run only)"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager >/dev/null
	else
		echo "promtool, amtool, prometheus or alertmanager missing, and not root to install them:" >&2
		echo "  sudo apt-get install prometheus prometheus-alertmanager" >&2
		exit 1
	fi
fi
echo "==> promtool check rules, promtool test rules, amtool check-config"
promtool check rules deploy/monitoring/prometheus/rules/*.rules.yml
promtool test rules deploy/monitoring/prometheus/tests/*.test.yml
amtool check-config deploy/monitoring/alertmanager/alertmanager.yml
echo "==> deploy/: go vet, go test"
(cd deploy/healthcheck && go vet ./...)
(cd deploy/validate && go vet ./... && NETOPS_TEST_REQUIRE_MONITORING=1 go test -timeout 20m ./...)
