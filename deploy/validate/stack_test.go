package validate

import (
	"bytes"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/openfaas/go-sdk/stack"
	"gopkg.in/yaml.v3"
)

// openfaasSecrets is where OpenFaaS mounts a function's secrets.
const openfaasSecrets = "/var/openfaas/secrets/"

// loadStack parses stack.yml with OpenFaaS's own parser (environment substitution on, as
// faas-cli does), and again strictly, so a misspelt key fails instead of being ignored.
func loadStack(t *testing.T) *stack.Services {
	t.Helper()
	data := readFile(t, filepath.Join(repoRoot(t), "stack.yml"))
	svcs, err := stack.ParseYAMLData(data, "", "", true)
	if err != nil {
		t.Fatalf("stack.yml: %v", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var strict stack.Services
	if err := dec.Decode(&strict); err != nil {
		t.Fatalf("stack.yml has a key OpenFaaS does not know: %v", err)
	}
	return svcs
}

// TestStackParses checks stack.yml is an OpenFaaS 1.0 stack of exactly the seven functions,
// each a dockerfile build of the one image.
func TestStackParses(t *testing.T) {
	svcs := loadStack(t)
	if svcs.Version != "1.0" || svcs.Provider.Name != "openfaas" {
		t.Errorf("version %q provider %q: want 1.0 and openfaas", svcs.Version, svcs.Provider.Name)
	}
	names := slices.Sorted(maps.Keys(svcs.Functions))
	want := slices.Sorted(slices.Values(targets))
	if !slices.Equal(names, want) {
		t.Fatalf("functions %v, want %v", names, want)
	}
	images := map[string]bool{}
	built := 0
	for name, fn := range svcs.Functions {
		images[fn.Image] = true
		if fn.Language != "dockerfile" {
			t.Errorf("%s: lang %q, want dockerfile", name, fn.Language)
		}
		if fn.Handler != "." {
			t.Errorf("%s: handler %q, want . (the repository root holds the Dockerfile)", name, fn.Handler)
		}
		if !fn.SkipBuild {
			built++
		}
		if fn.Environment["NETOPS_TARGET"] != name {
			t.Errorf("%s: NETOPS_TARGET=%q, want %q", name, fn.Environment["NETOPS_TARGET"], name)
		}
		if !fn.ReadOnlyRootFilesystem {
			t.Errorf("%s: readonly_root_filesystem is off", name)
		}
	}
	if len(images) != 1 {
		t.Errorf("images %v: want one image for every function", slices.Collect(maps.Keys(images)))
	}
	if built != 1 {
		t.Errorf("%d functions build the image; want exactly one (the others skip_build the same image)", built)
	}
}

// TestStackTopics checks each function's topic annotation lists exactly the NATS subjects of the
// event types it consumes (its Consumes list in the source), and that each is published by a
// function or, for requests, documented as sent from outside.
func TestStackTopics(t *testing.T) {
	svcs := loadStack(t)
	pub := published(t)
	for _, name := range targets {
		fn := svcs.Functions[name]
		var topics []string
		if fn.Annotations != nil {
			for _, s := range strings.Split((*fn.Annotations)["topic"], ",") {
				if s = strings.TrimSpace(s); s != "" {
					topics = append(topics, s)
				}
			}
		}
		sort.Strings(topics)
		var want []string
		for _, typ := range consumes(t, name) {
			want = append(want, subject(typ))
			if _, ok := pub[typ]; !ok {
				t.Errorf("%s consumes %s, which nothing publishes", name, typ)
			}
		}
		sort.Strings(want)
		if !slices.Equal(topics, want) {
			t.Errorf("%s: topic %v, want the subjects it consumes %v", name, topics, want)
		}
	}
}

// TestStackScaling checks the scaling labels: the model server never scales to zero, the project
// runner is exactly one replica, and functions that handle events serially are one replica.
func TestStackScaling(t *testing.T) {
	svcs := loadStack(t)
	for _, name := range targets {
		fn := svcs.Functions[name]
		if fn.Labels == nil {
			t.Errorf("%s: no labels", name)
			continue
		}
		labels := *fn.Labels
		lo, err1 := strconv.Atoi(labels["com.openfaas.scale.min"])
		hi, err2 := strconv.Atoi(labels["com.openfaas.scale.max"])
		if err1 != nil || err2 != nil || lo < 1 || hi < lo {
			t.Errorf("%s: scale.min %q scale.max %q: want 1 <= min <= max", name, labels["com.openfaas.scale.min"], labels["com.openfaas.scale.max"])
			continue
		}
		if labels["app.kubernetes.io/part-of"] != "netops" {
			t.Errorf("%s: no app.kubernetes.io/part-of=netops label: Prometheus would not scrape it", name)
		}
		zero := labels["com.openfaas.scale.zero"] == "true"
		switch {
		case name == "model-server":
			if zero || hi < 2 {
				t.Errorf("model-server: scale.zero %v max %d: want always up and room to scale out", zero, hi)
			}
		case name == "project-runner":
			if zero || lo != 1 || hi != 1 {
				t.Errorf("project-runner: min %d max %d zero %v: want exactly one replica, always up", lo, hi, zero)
			}
		case isSerial(t, name) && hi != 1:
			t.Errorf("%s handles events serially (Serial: true), but scale.max is %d", name, hi)
		}
	}
}

// TestStackEnvironment checks every variable stack.yml sets is one the binary reads, and every
// secret file it names is a secret the function mounts.
func TestStackEnvironment(t *testing.T) {
	svcs := loadStack(t)
	direct := directEnv(t)
	for _, name := range targets {
		fn := svcs.Functions[name]
		out, err := runBinary(t, nil, netopsBin(t), "run", "--target="+name, "--help")
		if err != nil {
			t.Errorf("%s: netops run --help: %v\n%s", name, err, out)
			continue
		}
		known := helpEnv(out)
		for k, v := range fn.Environment {
			if strings.HasPrefix(k, "NETOPS_") && !known[k] && !direct[k] {
				t.Errorf("%s: %s is not a variable netops reads (not in `netops run --target=%s --help`, nor read directly)", name, k, name)
			}
			if secret, ok := strings.CutPrefix(v, openfaasSecrets); ok && !slices.Contains(fn.Secrets, secret) {
				t.Errorf("%s: %s=%s, but %s is not in its secrets", name, k, v, secret)
			}
		}
		for _, s := range fn.Secrets {
			used := false
			for _, v := range fn.Environment {
				used = used || v == openfaasSecrets+s
			}
			if !used {
				t.Errorf("%s: secret %s is mounted but no variable points the function at it", name, s)
			}
		}
	}
}

// TestStackFunctionsStart starts each function exactly as stack.yml configures it (its
// environment and secret files; NATS and the store pointed at the test's) and checks the
// OpenFaaS workload contract: /_/health and /_/ready answer 200, and SIGTERM drains.
func TestStackFunctionsStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	svcs := loadStack(t)
	for _, name := range targets {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn := svcs.Functions[name]
			secrets := map[string]string{}
			for _, s := range fn.Secrets {
				secrets[openfaasSecrets+s] = "validate-" + s
			}
			startDeployed(t, name, deployedEnv{Env: fn.Environment, Secrets: secrets, Ready: "/_/ready", Live: "/_/health"})
		})
	}
}

// isSerial reports whether a function's constructor sets Serial: true (events one at a time
// across replicas, in stream order).
func isSerial(t testing.TB, target string) bool {
	t.Helper()
	for _, src := range sourceFiles(t, filepath.Join(repoRoot(t), "functions", packageOf(target))) {
		if strings.Contains(src, "Serial: true") {
			return true
		}
	}
	return false
}
