# netops — the two commands of the README are `go run ./cmd/netops up` and `make test`.
.PHONY: test bench build up chaos fuzz

# All tests against real servers (builds and starts a pinned MinIO; see scripts/test.sh).
test:
	./scripts/test.sh

# The fault-injection suite (internal/chaos, build tag chaos) on its own: it starts its own MinIO
# from the binary scripts/test.sh builds (.cache/bin/minio) and its own NATS server.
chaos:
	NETOPS_TEST_MINIO_BIN=$${NETOPS_TEST_MINIO_BIN:-$(CURDIR)/.cache/bin/minio} \
		go test -tags chaos -count=1 -timeout 20m -v ./internal/chaos/

# Every fuzz target for FUZZTIME each (default 1m); go test runs their seed corpora anyway.
fuzz:
	./scripts/fuzz.sh

# Benchmarks, printed as a table (see scripts/bench.sh).
bench:
	./scripts/bench.sh

build:
	CGO_ENABLED=0 go build -trimpath -o bin/netops ./cmd/netops

up:
	go run ./cmd/netops up
