// Package testenv gives tests the real servers they run against: a MinIO bucket (from the server
// the test command starts) and an embedded NATS server with JetStream.
package testenv

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/blob"
)

var bucketSeq atomic.Int64

// S3Config returns the configuration of a fresh, uniquely named bucket on the MinIO server named by
// NETOPS_TEST_S3_ENDPOINT (with NETOPS_TEST_S3_ACCESS_KEY and NETOPS_TEST_S3_SECRET_KEY). Without an
// endpoint the test is skipped, unless NETOPS_TEST_REQUIRE_S3=1 (set by the test command), where it
// fails: CI must never skip the S3 half silently.
func S3Config(t testing.TB) blob.S3Config {
	t.Helper()
	ep := os.Getenv("NETOPS_TEST_S3_ENDPOINT")
	if ep == "" {
		if os.Getenv("NETOPS_TEST_REQUIRE_S3") == "1" {
			t.Fatal("NETOPS_TEST_REQUIRE_S3=1 but NETOPS_TEST_S3_ENDPOINT is not set")
		}
		t.Skip("no MinIO: set NETOPS_TEST_S3_ENDPOINT (make test starts one)")
	}
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-", " ", "-").Replace(t.Name()))
	if len(name) > 30 {
		name = name[:30]
	}
	bucket := strings.Trim(fmt.Sprintf("t-%s-%d-%d", name, time.Now().UnixNano()%1e9, bucketSeq.Add(1)), "-")
	return blob.S3Config{
		Endpoint:  ep,
		Bucket:    bucket,
		AccessKey: os.Getenv("NETOPS_TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("NETOPS_TEST_S3_SECRET_KEY"),
	}
}

// S3 returns a store on a fresh bucket of the test MinIO server.
func S3(t testing.TB) *blob.S3 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := blob.NewS3(ctx, S3Config(t))
	if err != nil {
		t.Fatalf("connect to test MinIO: %v", err)
	}
	return s
}

// S3URL returns an s3:// URL for a fresh bucket and sets the credentials in the environment for
// the duration of the test, so code under test can open it like a user would.
func S3URL(t *testing.T) string {
	t.Helper()
	cfg := S3Config(t)
	t.Setenv("NETOPS_S3_ACCESS_KEY", cfg.AccessKey)
	t.Setenv("NETOPS_S3_SECRET_KEY", cfg.SecretKey)
	return fmt.Sprintf("s3://%s?endpoint=%s", cfg.Bucket, cfg.Endpoint)
}

// Stores returns one store per backend for suites that must pass on both: a file store in a
// temporary directory and, when MinIO is available, an S3 bucket.
func Stores(t *testing.T) map[string]blob.Store {
	t.Helper()
	f, err := blob.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]blob.Store{"file": f}
	if os.Getenv("NETOPS_TEST_S3_ENDPOINT") != "" || os.Getenv("NETOPS_TEST_REQUIRE_S3") == "1" {
		out["s3"] = S3(t)
	}
	return out
}
