# netops — the two commands of the README are `go run ./cmd/netops up` and `make test`.
.PHONY: test bench build up

# All tests against real servers (builds and starts a pinned MinIO; see scripts/test.sh).
test:
	./scripts/test.sh

# Benchmarks, printed as a table (see scripts/bench.sh).
bench:
	./scripts/bench.sh

build:
	CGO_ENABLED=0 go build -trimpath -o bin/netops ./cmd/netops

up:
	go run ./cmd/netops up
