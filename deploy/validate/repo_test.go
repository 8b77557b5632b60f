package validate

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// targets are the seven functions of DESIGN.md, by their `netops run --target` names.
var targets = []string{"generator", "preprocessor", "model-server", "labeled-stream", "drift-detectors", "drift-magnitude", "project-runner"}

// packageOf maps a target to its package under functions/.
func packageOf(target string) string { return strings.ReplaceAll(target, "-", "") }

// producers says which function publishes each event type (DESIGN.md's "produces" column) as the
// constant names of internal/events; checkProducers verifies each claim against the source.
var producers = map[string][]string{
	"generator":       {"TelemetryBatch", "LabelsBatch"},
	"preprocessor":    {"FeaturesBatch"},
	"model-server":    {"PredictionsBatch"},
	"labeled-stream":  {"LabeledBatch"},
	"drift-detectors": {"DriftWarning", "DriftDetected"},
	"drift-magnitude": {"DriftReportType"},
	"project-runner":  {"ModelDeployed", "WorkflowStarted", "WorkflowSucceeded", "WorkflowFailed"},
}

// externalEvents are event types no function publishes: operators and schedulers send them
// (`nats pub netops.generate.request '{"ticks": 720}'`, README.md, "Deploying").
var externalEvents = []string{"GenerateRequest"}

// repoRoot is the main module's directory, two levels above this module.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "netops")); err != nil {
		t.Fatalf("repository root %s has no cmd/netops: %v", root, err)
	}
	return root
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sourceFiles returns the non-test Go files under dir (recursively), keyed by path.
func sourceFiles(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != dir {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[p] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	eventConstsOnce sync.Once
	eventConsts     map[string]string
	eventConstsErr  error
)

// eventTypes returns internal/events' event-type constants: name → "io.netops.<x>".
func eventTypes(t testing.TB) map[string]string {
	t.Helper()
	eventConstsOnce.Do(func() {
		path := filepath.Join(repoRoot(t), "internal", "events", "events.go")
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			eventConstsErr = err
			return
		}
		eventConsts = map[string]string{}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, _ := strconv.Unquote(lit.Value)
					if strings.HasPrefix(v, "io.netops.") {
						eventConsts[name.Name] = v
					}
				}
			}
		}
	})
	if eventConstsErr != nil {
		t.Fatal(eventConstsErr)
	}
	return eventConsts
}

// subject mirrors internal/events.Subject: io.netops.x travels on netops.x.
func subject(eventType string) string { return "netops." + strings.TrimPrefix(eventType, "io.netops.") }

var consumesRE = regexp.MustCompile(`Consumes:\s*\[\]string\{([^}]*)\}`)

// consumes reads a function's Consumes list from its package source, as event types.
func consumes(t testing.TB, target string) []string {
	t.Helper()
	consts := eventTypes(t)
	dir := filepath.Join(repoRoot(t), "functions", packageOf(target))
	var out []string
	found := false
	for _, src := range sourceFiles(t, dir) {
		for _, m := range consumesRE.FindAllStringSubmatch(src, -1) {
			found = true
			for _, item := range strings.Split(m[1], ",") {
				name := strings.TrimPrefix(strings.TrimSpace(item), "events.")
				if name == "" {
					continue
				}
				typ, ok := consts[name]
				if !ok {
					t.Fatalf("%s: Consumes names %q, not an event type constant of internal/events", target, item)
				}
				out = append(out, typ)
			}
		}
	}
	if !found {
		t.Fatalf("%s: no `Consumes: []string{...}` in %s", target, dir)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// published returns the event types some function publishes (verified against the source) plus
// the ones sent from outside.
func published(t testing.TB) map[string]string {
	t.Helper()
	consts := eventTypes(t)
	out := map[string]string{}
	for fn, names := range producers {
		srcs := sourceFiles(t, filepath.Join(repoRoot(t), "functions", packageOf(fn)))
		all := ""
		for _, s := range srcs {
			all += s
		}
		if !strings.Contains(all, "events.New(") {
			t.Errorf("%s is listed as a producer but its package never calls events.New", fn)
		}
		for _, name := range names {
			if !regexp.MustCompile(`\bevents\.` + name + `\b`).MatchString(all) {
				t.Errorf("%s is listed as publishing events.%s, but its package never names it", fn, name)
			}
			out[consts[name]] = fn
		}
	}
	for _, name := range externalEvents {
		typ, ok := consts[name]
		if !ok {
			t.Fatalf("external event %s is not a constant of internal/events", name)
		}
		out[typ] = "operators (nats pub)"
	}
	return out
}

var (
	envReadRE   = regexp.MustCompile(`Getenv\("(NETOPS_[A-Z0-9_]+)"\)`)
	envSecretRE = regexp.MustCompile(`envSecret\("(NETOPS_[A-Z0-9_]+)"\)`)
	helpEnvRE   = regexp.MustCompile(`\(env ([^)]*)\)`)
)

// directEnv returns the NETOPS_* variables the main module reads outside its flag system
// (os.Getenv, and blob's NAME / NAME_FILE secrets).
func directEnv(t testing.TB) map[string]bool {
	t.Helper()
	root := repoRoot(t)
	out := map[string]bool{}
	for _, dir := range []string{"cmd", "functions", "internal"} {
		for _, src := range sourceFiles(t, filepath.Join(root, dir)) {
			for _, m := range envReadRE.FindAllStringSubmatch(src, -1) {
				out[m[1]] = true
			}
			for _, m := range envSecretRE.FindAllStringSubmatch(src, -1) {
				out[m[1]] = true
				out[m[1]+"_FILE"] = true
			}
		}
	}
	return out
}

// helpEnv returns the environment variables `netops run --target=<target> --help` documents.
func helpEnv(help string) map[string]bool {
	out := map[string]bool{}
	for _, m := range helpEnvRE.FindAllStringSubmatch(help, -1) {
		for _, name := range strings.Split(m[1], " or ") {
			out[strings.TrimSpace(name)] = true
		}
	}
	return out
}

// metricNames returns the metric names the main module registers (`Name: "..."` in
// prometheus.*Opts), plus the Go and process collectors' families the runtime registers.
func metricNames(t testing.TB) map[string]bool {
	t.Helper()
	root := repoRoot(t)
	re := regexp.MustCompile(`prometheus\.(?:Counter|Gauge|Histogram|Summary)Opts\{\s*Name:\s*"([a-z_:][a-z0-9_:]*)"`)
	out := map[string]bool{"up": true, "ALERTS": true}
	for _, n := range []string{"go_goroutines", "process_cpu_seconds_total", "process_resident_memory_bytes"} {
		out[n] = true
	}
	for _, dir := range []string{"functions", "internal"} {
		for _, src := range sourceFiles(t, filepath.Join(root, dir)) {
			for _, m := range re.FindAllStringSubmatch(src, -1) {
				out[m[1]] = true
			}
		}
	}
	return out
}
