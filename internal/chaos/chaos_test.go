//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// minKills is the least number of kill -9 a run injects.
const minKills = 24

// TestChaos runs the pipeline under faults and checks the store and the dead-letter subjects.
func TestChaos(t *testing.T) {
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 18*time.Minute)
	defer cancel()
	chaosSeed := uint64(1)
	if s := os.Getenv("NETOPS_CHAOS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("NETOPS_CHAOS_SEED: %v", err)
		}
		chaosSeed = v
	}
	rng := rand.New(rand.NewPCG(chaosSeed, 0x6e65746f7073))

	e := setup(t, ctx)
	t.Logf("chaos: built in %s, bootstrapped a champion in %s; logs in %s", e.buildTime.Round(time.Second), e.bootstrapTime.Round(time.Second), e.dir)
	defer func() {
		if t.Failed() {
			for _, p := range append([]*proc{e.nats, e.minio}, e.fns...) {
				t.Logf("--- last lines of %s:\n%s", p.name, p.tail(15))
			}
		}
	}()
	e.startFunctions(t, ctx)
	rec := e.record(t)
	defer rec.sub.Unsubscribe()

	fig := &figures{killsByTarget: map[string]int{}}
	ps := poisons()
	for _, p := range ps[:3] {
		if err := e.publishPoison(ctx, p); err != nil {
			t.Fatalf("publish poison: %v", err)
		}
	}

	runStart := time.Now()
	progress := make(chan int, batches)
	genErr := make(chan error, 1)
	go func() { genErr <- e.driveGenerator(ctx, fig, progress) }()
	stopKills := make(chan struct{})
	killsDone := make(chan struct{})
	go func() {
		defer close(killsDone)
		e.killLoop(ctx, t, rand.New(rand.NewPCG(rng.Uint64(), 1)), fig, minKills, stopKills)
	}()
	defer func() { // on a fatal error: stop the kill loop before the test ends
		cancel()
		<-killsDone
	}()

	// Faults keyed to the generator's progress, so each lands while batches flow.
	round := 0
	for done := range progress {
		switch done {
		case 3, 24:
			round++
			e.duplicate(ctx, t, rng, rec, fig, round)
		case 6:
			for _, p := range ps[3:] {
				if err := e.publishPoison(ctx, p); err != nil {
					t.Errorf("publish poison: %v", err)
				}
			}
		case 8:
			d := e.restartNATS(ctx, t)
			fig.add(func(f *figures) { f.natsDowntime = d })
			t.Logf("chaos: NATS restarted, down %s", d.Round(time.Millisecond))
		case 12:
			if e.pauseProcess(t, "model-server-1", 12*time.Second) {
				fig.add(func(f *figures) { f.pauses++ })
			}
		case 15:
			d := e.outageMinIO(ctx, t, func() {
				round++
				e.duplicate(ctx, t, rng, rec, fig, round)
			})
			fig.add(func(f *figures) { f.minioDowntime = d })
			t.Logf("chaos: MinIO stopped and restarted, down %s", d.Round(time.Millisecond))
		case 20:
			if e.pauseProcess(t, "preprocessor-1", 12*time.Second) {
				fig.add(func(f *figures) { f.pauses++ })
			}
		}
	}
	if err := <-genErr; err != nil {
		t.Fatalf("generator driver: %v", err)
	}
	genDone := time.Since(runStart)
	close(stopKills)
	<-killsDone
	faultsDone := time.Since(runStart)

	// Let every replica come back, then wait until every consumer has settled everything.
	wctx, wcancel := context.WithTimeout(ctx, 2*time.Minute)
	for _, p := range e.fns {
		if err := p.waitReady(wctx); err != nil {
			t.Errorf("%v\n%s", err, p.tail(20))
		}
	}
	wcancel()
	if err := e.waitQuiet(ctx, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	quiet := time.Since(runStart)
	e.stopFunctions()

	checkStart := time.Now()
	rep, err := e.checkStore(ctx)
	if err != nil {
		t.Fatalf("check store: %v", err)
	}
	dls, err := e.readDeadLetters(ctx)
	if err != nil {
		t.Fatalf("read dead letters: %v", err)
	}
	dlProblems := checkDeadLetters(dls, ps)
	checkTime := time.Since(checkStart)

	// Figures.
	var restarts []time.Duration
	for _, p := range e.fns {
		restarts = append(restarts, p.restartTimes()...)
	}
	slices.Sort(restarts)
	// A function process that dies on its own after running is a resilience failure the
	// supervisor would otherwise hide; failed starts while a server is down are expected.
	failedStarts := 0
	var ownExits []string
	for _, p := range e.fns {
		x, n := p.exits()
		failedStarts += n
		for _, s := range x {
			ownExits = append(ownExits, p.name+": "+s)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "chaos run (seed %d)\n", chaosSeed)
	fmt.Fprintf(&b, "  fleet: %d devices, %d ticks acknowledged by the generator (%d POST /generate, %d failed under faults)\n", devices, fig.genTicks, fig.genCalls, fig.genFailures)
	fmt.Fprintf(&b, "  kill -9: %d (%d with an event in flight) %v; restarts measured %d: min %s p50 %s max %s\n", fig.kills, fig.killsInFlight, fig.killsByTarget,
		len(restarts), pct(restarts, 0), pct(restarts, 50), pct(restarts, 100))
	fmt.Fprintf(&b, "  starts that failed while a server was down: %d; processes that died on their own: %d\n", failedStarts, len(ownExits))
	fmt.Fprintf(&b, "  NATS restart: down %s; MinIO outage: down %s; SIGSTOP > ack wait: %d\n", fig.natsDowntime.Round(time.Millisecond), fig.minioDowntime.Round(time.Millisecond), fig.pauses)
	fmt.Fprintf(&b, "  duplicates: %d dropped by the duplicate window, %d delivered again\n", fig.dupsDropped, fig.dupsRedelivered)
	fmt.Fprintf(&b, "  store: %d objects (%d Parquet, %d JSON) all read fully unless listed below\n", rep.objects, rep.parquetObjects, rep.jsonObjects)
	fmt.Fprintf(&b, "  rows: telemetry %d, labels %d, features %d, predictions %d, labeled %d (unlabeled %d); versions served %v\n",
		rep.telemetryRows, rep.labelRows, rep.featureRows, rep.predictionRows, rep.labeledRows, rep.unlabeledRows, rep.versions)
	fmt.Fprintf(&b, "  dead letters: %d (expected %d)\n", len(dls), expectedDLQ(ps))
	fmt.Fprintf(&b, "  durations: build %s, bootstrap %s, generation %s, faults %s, quiet at %s, check %s, total %s\n",
		e.buildTime.Round(time.Second), e.bootstrapTime.Round(time.Second), genDone.Round(time.Second), faultsDone.Round(time.Second),
		quiet.Round(time.Second), checkTime.Round(time.Second), time.Since(began).Round(time.Second))
	t.Log(b.String())
	_ = os.WriteFile(e.dir+"/report.txt", []byte(b.String()), 0o644)

	if fig.kills < minKills {
		t.Errorf("only %d kills, want >= %d", fig.kills, minKills)
	}
	for _, x := range ownExits {
		t.Errorf("function process exited on its own: %s", x)
	}
	for _, p := range rep.problems {
		t.Error(p)
	}
	for _, p := range dlProblems {
		t.Error(p)
	}
}

func expectedDLQ(ps []*poison) int {
	n := 0
	for _, p := range ps {
		n += len(p.fns)
	}
	return n
}
