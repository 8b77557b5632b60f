//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
)

// Size of the run: small enough for CI on two cores, large enough that every fault lands while
// batches are in flight.
const (
	devices       = 10
	ticksPerBatch = 10
	batches       = 30 // ticks = batches × ticksPerBatch; rows = ticks × devices
	seed          = 7
	model         = "netops"
)

// replicas of each function; the model server and the preprocessor run two sharing one durable
// consumer (the preprocessor is Serial: its replicas take turns).
var replicas = []struct {
	target string
	n      int
}{
	{"generator", 1},
	{"preprocessor", 2},
	{"model-server", 2},
	{"labeled-stream", 1},
	{"drift-detectors", 1},
	{"drift-magnitude", 1},
	{"project-runner", 1},
}

// runtimeFlags are the retry settings of every function process. AckWait is short so a killed
// process's event comes back in seconds (the default 30s would stall a Serial function for 30s per
// kill); MaxDeliver leaves room for an event to be caught by several kills and the MinIO outage.
var runtimeFlags = []string{"--ack-wait=5s", "--max-deliver=12", "--backoff=500ms", "--backoff-max=8s", "--drain-timeout=5s", "--workers=4"}

// env is the running test bed: binaries, servers, store and function processes.
type env struct {
	root, dir     string
	netops, natsd string
	minioBin      string
	accessKey     string
	secretKey     string
	minio, nats   *proc
	minioAddr     string
	natsPort      int
	natsURL       string
	storeURL      string
	store         blob.Store
	fns           []*proc
	generatorPort int
	bus           *bus.Bus
	pipelineStart time.Time
	bootstrapTime time.Duration
	buildTime     time.Duration
}

// requireServers skips the suite without a MinIO (or fails when the test command requires one).
func requireServers(t *testing.T) (minioBin string) {
	t.Helper()
	skip := func(msg string) {
		if os.Getenv("NETOPS_TEST_REQUIRE_S3") == "1" {
			t.Fatal("NETOPS_TEST_REQUIRE_S3=1 but " + msg)
		}
		t.Skip(msg)
	}
	// The suite runs a MinIO of its own (it stops and restarts it), from the binary the test
	// command builds; it runs where the test command's MinIO would.
	minioBin = os.Getenv("NETOPS_TEST_MINIO_BIN")
	if minioBin == "" {
		if os.Getenv("NETOPS_TEST_S3_ENDPOINT") == "" {
			skip("no MinIO: set NETOPS_TEST_MINIO_BIN to a MinIO server binary (make chaos and scripts/test.sh do)")
		}
		root, _ := filepath.Abs("../..")
		minioBin = filepath.Join(root, ".cache", "bin", "minio")
	}
	if _, err := os.Stat(minioBin); err != nil {
		skip("the chaos suite stops and restarts its own MinIO and needs its binary: " + err.Error() + " (set NETOPS_TEST_MINIO_BIN)")
	}
	return minioBin
}

// setup builds the binaries, starts MinIO and NATS, and bootstraps a champion model.
func setup(t *testing.T, ctx context.Context) *env {
	e := &env{minioBin: requireServers(t)}
	e.root, _ = filepath.Abs("../..")
	e.dir = os.Getenv("NETOPS_CHAOS_DIR") // keep logs and data for a post-mortem
	if e.dir == "" {
		e.dir = t.TempDir()
	}
	for _, d := range []string{"bin", "logs", "minio", "nats"} {
		if err := os.MkdirAll(filepath.Join(e.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e.accessKey, e.secretKey = envOr("NETOPS_TEST_S3_ACCESS_KEY", "netops-chaos"), envOr("NETOPS_TEST_S3_SECRET_KEY", "netops-chaos-secret")

	start := time.Now()
	build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(e.dir, "bin")+"/", "./cmd/netops", "./internal/chaos/cmd/natsd")
	build.Dir = e.root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	e.buildTime = time.Since(start)
	e.netops, e.natsd = filepath.Join(e.dir, "bin", "netops"), filepath.Join(e.dir, "bin", "natsd")

	e.minioAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	e.minio = &proc{name: "minio", bin: e.minioBin, args: []string{"server", "--quiet", "--address", e.minioAddr, filepath.Join(e.dir, "minio")},
		env:     baseEnv("MINIO_ROOT_USER="+e.accessKey, "MINIO_ROOT_PASSWORD="+e.secretKey, "MINIO_BROWSER=off"),
		logPath: filepath.Join(e.dir, "logs", "minio.log"), ready: httpReady("http://" + e.minioAddr + "/minio/health/ready"), restartDelay: time.Second}
	e.minio.supervise(t)
	t.Cleanup(func() { e.minio.stop(syscall.SIGTERM, 10*time.Second) })

	e.natsPort = freePort(t)
	e.natsURL = fmt.Sprintf("nats://127.0.0.1:%d", e.natsPort)
	e.nats = &proc{name: "nats", bin: e.natsd, args: []string{"-dir", filepath.Join(e.dir, "nats"), "-port", strconv.Itoa(e.natsPort)},
		env: baseEnv(), logPath: filepath.Join(e.dir, "logs", "nats.log"), ready: tcpReady(fmt.Sprintf("127.0.0.1:%d", e.natsPort)), restartDelay: time.Second}
	e.nats.supervise(t)
	t.Cleanup(func() { e.nats.stop(syscall.SIGTERM, 10*time.Second) })

	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := e.minio.waitReady(wctx); err != nil {
		t.Fatalf("%v\n%s", err, e.minio.tail(20))
	}
	if err := e.nats.waitReady(wctx); err != nil {
		t.Fatalf("%v\n%s", err, e.nats.tail(20))
	}
	e.storeURL = fmt.Sprintf("s3://chaos?endpoint=%s", e.minioAddr)
	t.Setenv("NETOPS_S3_ACCESS_KEY", e.accessKey) // blob.Open reads the credentials from the environment
	t.Setenv("NETOPS_S3_SECRET_KEY", e.secretKey)
	// MinIO answers its readiness probe a moment before it serves requests ("Server not
	// initialized yet"): retry the first connection.
	var err error
	for e.store, err = blob.Open(wctx, e.storeURL); err != nil; e.store, err = blob.Open(wctx, e.storeURL) {
		if wctx.Err() != nil {
			t.Fatalf("open store: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if e.bus, err = bus.Connect(wctx, e.natsURL, bus.Options{Name: "chaos-test"}); err != nil {
		t.Fatalf("connect NATS: %v", err)
	}
	t.Cleanup(e.bus.Close)

	start = time.Now()
	e.pipelineStart = e.bootstrap(t, ctx)
	e.bootstrapTime = time.Since(start)
	return e
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// netopsCmd runs a netops CLI command against the store and fails the test on error.
func (e *env) netopsCmd(t *testing.T, ctx context.Context, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, e.netops, append(args, "--store="+e.storeURL)...)
	cmd.Env = baseEnv("NETOPS_S3_ACCESS_KEY="+e.accessKey, "NETOPS_S3_SECRET_KEY="+e.secretKey)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("netops %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// bootstrap trains the champion as `netops up` would (3 simulated hours of the fleet, features,
// lr and gbt) and then deletes the history, so every telemetry row left in the store afterwards
// is one the pipeline generated. It returns the simulated time the pipeline's generator starts at.
func (e *env) bootstrap(t *testing.T, ctx context.Context) time.Time {
	t.Helper()
	to := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	from := to.Add(-3 * time.Hour)
	e.netopsCmd(t, ctx, "generate", "--from="+from.Format(time.RFC3339), "--to="+to.Format(time.RFC3339),
		fmt.Sprintf("--devices=%d", devices), fmt.Sprintf("--seed=%d", seed))
	e.netopsCmd(t, ctx, "features", "--out=training/bootstrap.parquet")
	e.netopsCmd(t, ctx, "train", "--data=training/bootstrap.parquet", "--models=lr", "--budget=1", "--max-rows=5000", "--promote=champion")
	for _, prefix := range []string{"telemetry/", "labels/", "training/"} {
		infos, err := e.store.List(ctx, prefix)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range infos {
			if err := e.store.Delete(ctx, in.Key); err != nil {
				t.Fatal(err)
			}
		}
	}
	return to
}

// startFunctions starts every replica of every function as its own supervised process.
func (e *env) startFunctions(t *testing.T, ctx context.Context) {
	t.Helper()
	for _, r := range replicas {
		for i := 1; i <= r.n; i++ {
			port := freePort(t)
			args := append([]string{"run", "--target=" + r.target, "--nats=" + e.natsURL, "--store=" + e.storeURL, fmt.Sprintf("--port=%d", port)}, runtimeFlags...)
			switch r.target {
			case "generator":
				e.generatorPort = port
				args = append(args, fmt.Sprintf("--devices=%d", devices), fmt.Sprintf("--seed=%d", seed),
					fmt.Sprintf("--ticks-per-batch=%d", ticksPerBatch), "--start="+e.pipelineStart.Format(time.RFC3339))
			case "project-runner":
				// No retraining during the run: every row is served by the bootstrap champion.
				args = append(args, "--policy-events=1000000", "--post-drift-rows=100000000")
			}
			p := &proc{name: fmt.Sprintf("%s-%d", r.target, i), bin: e.netops, args: args,
				env:     baseEnv("NETOPS_S3_ACCESS_KEY="+e.accessKey, "NETOPS_S3_SECRET_KEY="+e.secretKey, "NETOPS_WEBHOOK_SECRET=chaos-webhook-secret"),
				logPath: filepath.Join(e.dir, "logs", fmt.Sprintf("%s-%d.log", r.target, i)), ready: httpReady(fmt.Sprintf("http://127.0.0.1:%d/readyz", port)),
				restartDelay: 300 * time.Millisecond}
			p.supervise(t)
			e.fns = append(e.fns, p)
		}
	}
	t.Cleanup(func() { e.stopFunctions() })
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for _, p := range e.fns {
		if err := p.waitReady(wctx); err != nil {
			t.Fatalf("%v\n%s", err, p.tail(30))
		}
	}
}

// stopFunctions drains every function process (SIGTERM) in parallel.
func (e *env) stopFunctions() {
	done := make(chan struct{}, len(e.fns))
	for _, p := range e.fns {
		go func() {
			p.stop(syscall.SIGTERM, 15*time.Second)
			done <- struct{}{}
		}()
	}
	for range e.fns {
		<-done
	}
}
