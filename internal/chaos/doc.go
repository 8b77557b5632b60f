// Package chaos is the fault-injection suite of netops: it runs the pipeline as separate
// processes (`netops run --target=…`, replicas sharing durable consumers) against a standalone
// NATS server and a real MinIO, drives the generator, injects faults — kill -9 of function
// processes, a NATS restart, a MinIO outage, duplicate and redelivered events, a poison event per
// function — and then checks from the store that nothing was lost, duplicated or left partial and
// that exactly the poison events were dead-lettered.
//
// The suite is behind the build tag chaos, so `go test ./...` skips it:
//
//	make chaos   # or: go test -tags chaos -count=1 -timeout 20m -v ./internal/chaos/
//
// It needs the MinIO server binary (NETOPS_TEST_MINIO_BIN, default .cache/bin/minio, which
// scripts/test.sh builds) because it stops and restarts its own MinIO; it is skipped when
// NETOPS_TEST_S3_ENDPOINT is unset, unless NETOPS_TEST_REQUIRE_S3=1.
//
// Beside TestChaos, TestStoreFailsMidRead replays its MinIO outage deterministically (the store
// failing between opening an object and reading it) and TestParquetFooterLengthIsBounded replays a
// finding of the Parquet fuzz target. TestLoad (build tag load, not in CI) measures the largest
// fleet `netops up` keeps up with in real time.
//
// This package holds no library code; cmd/natsd is the standalone NATS server it restarts.
package chaos
