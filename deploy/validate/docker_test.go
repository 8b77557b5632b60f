package validate

import (
	"debug/elf"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// TestDockerfile checks the image's shape: a multi-stage build of static binaries into a minimal
// non-root runtime image that exposes 8080, probes the OpenFaaS health path and runs `netops run`.
func TestDockerfile(t *testing.T) {
	src := string(readFile(t, filepath.Join(repoRoot(t), "Dockerfile")))
	ins := parseDockerfile(src)
	var froms []dockerInstruction
	last := map[string]dockerInstruction{} // last instruction of each kind in the final stage
	for _, in := range ins {
		if in.Cmd == "FROM" {
			froms = append(froms, in)
			last = map[string]dockerInstruction{}
		}
		last[in.Cmd] = in
	}
	if len(froms) < 2 {
		t.Fatalf("want a multi-stage build (>= 2 FROM), got %d", len(froms))
	}
	final := strings.Fields(froms[len(froms)-1].Args)[0]
	if !strings.HasPrefix(final, "gcr.io/distroless/static") && final != "scratch" {
		t.Errorf("runtime image %q: want distroless/static or scratch (nothing but the static binary)", final)
	}
	user, ok := last["USER"]
	if !ok {
		t.Error("runtime stage has no USER: the container would run as root")
	} else if u, _, _ := strings.Cut(user.Args, ":"); u == "0" || u == "root" || strings.Trim(u, "0123456789") != "" {
		t.Errorf("USER %q: want a numeric non-root uid (runAsNonRoot must be able to verify it)", user.Args)
	}
	if e := last["EXPOSE"]; !strings.Contains(" "+e.Args+" ", " 8080 ") && e.Args != "8080" {
		t.Errorf("EXPOSE %q: want 8080", e.Args)
	}
	hc := last["HEALTHCHECK"].Args
	if !strings.Contains(hc, "/_/health") {
		t.Errorf("HEALTHCHECK %q: want the OpenFaaS workload contract's /_/health", hc)
	}
	if !strings.Contains(last["ENTRYPOINT"].Args, "/usr/local/bin/netops") || !strings.Contains(last["CMD"].Args, `"run"`) {
		t.Errorf("ENTRYPOINT %q CMD %q: want netops run (the target from NETOPS_TARGET)", last["ENTRYPOINT"].Args, last["CMD"].Args)
	}
	builds := dockerGoBuilds(t, src, testVersion)
	outputs := map[string]bool{}
	for _, b := range builds {
		outputs[path.Base(b.Output)] = true
		env := strings.Join(b.Env, " ")
		if !strings.Contains(env, "CGO_ENABLED=0") {
			t.Errorf("go build %v: without CGO_ENABLED=0 the binary may link libc", b.Args)
		}
		if !strings.Contains(strings.Join(b.Args, " "), "-trimpath") {
			t.Errorf("go build %v: want -trimpath (reproducible, no build paths in the binary)", b.Args)
		}
	}
	for _, want := range []string{"netops", "healthcheck"} {
		if !outputs[want] {
			t.Errorf("no `go build -o .../%s` in the build stage", want)
		}
	}
	copied := false
	for _, in := range ins {
		if in.Cmd == "COPY" && strings.Contains(in.Args, "--from=build") && strings.Contains(in.Args, "/out/netops") && strings.Contains(in.Args, "/out/healthcheck") {
			copied = true
		}
	}
	if !copied {
		t.Error("the runtime stage does not COPY --from=build both /out/netops and /out/healthcheck")
	}
}

// dockerignored reports whether .dockerignore's patterns exclude rel (Docker's rules: last
// matching pattern wins, "!" re-includes, a pattern matching a directory excludes its content).
func dockerignored(patterns []string, rel string) bool {
	excluded := false
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		for dir := rel; dir != "." && dir != "/"; dir = path.Dir(dir) {
			if globMatch(p, dir) {
				excluded = !neg
				break
			}
		}
	}
	return excluded
}

// globMatch is filepath.Match extended with a leading "**/" (any depth).
func globMatch(pattern, name string) bool {
	if rest, ok := strings.CutPrefix(pattern, "**/"); ok {
		for n := name; ; {
			if ok, _ := path.Match(rest, n); ok {
				return true
			}
			_, after, found := strings.Cut(n, "/")
			if !found {
				return false
			}
			n = after
		}
	}
	ok, _ := path.Match(pattern, name)
	return ok
}

// TestDockerignore checks the build context keeps what `go build` needs and drops the heavy
// local files (test binaries of several tens of MB, the MinIO cache, local state, .git).
func TestDockerignore(t *testing.T) {
	var patterns []string
	for _, line := range strings.Split(string(readFile(t, filepath.Join(repoRoot(t), ".dockerignore"))), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, strings.TrimSuffix(strings.TrimPrefix(line, "/"), "/"))
		}
	}
	for _, keep := range []string{"go.mod", "go.sum", "cmd/netops/main.go", "internal/events/events.go", "internal/sim/default.yaml",
		"functions/modelserver/modelserver.go", "deploy/healthcheck/main.go", "deploy/healthcheck/go.mod"} {
		if dockerignored(patterns, keep) {
			t.Errorf(".dockerignore excludes %s, which the build needs", keep)
		}
	}
	for _, drop := range []string{".git/HEAD", ".cache/bin/minio", ".netops/data/x", "generator.test", "functions/generator/generator.test", "deploy/validate/go.mod"} {
		if !dockerignored(patterns, drop) {
			t.Errorf(".dockerignore keeps %s in the build context", drop)
		}
	}
}

// TestBinaryStatic checks that what the Dockerfile's commands build runs on a distroless/static
// image: no program interpreter, no shared libraries, and no build paths (-trimpath).
func TestBinaryStatic(t *testing.T) {
	root := repoRoot(t)
	for _, name := range []string{"netops", "healthcheck"} {
		p := filepath.Join(builtBinaries(t), name)
		f, err := elf.Open(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				t.Errorf("%s has a PT_INTERP program header: it is dynamically linked", name)
			}
		}
		libs, err := f.ImportedLibraries()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if len(libs) > 0 {
			t.Errorf("%s needs shared libraries %v", name, libs)
		}
		f.Close()
		if b := readFile(t, p); strings.Contains(string(b), root+"/") {
			t.Errorf("%s contains the build path %s: built without -trimpath", name, root)
		}
	}
}

// TestBinaryVersion checks the Dockerfile's -ldflags stamp VERSION into `netops version`.
func TestBinaryVersion(t *testing.T) {
	out, err := runBinary(t, nil, netopsBin(t), "version")
	if err != nil {
		t.Fatalf("netops version: %v\n%s", err, out)
	}
	if !strings.HasPrefix(out, "netops "+testVersion+" ") {
		t.Errorf("netops version = %q, want it to start with %q", out, "netops "+testVersion)
	}
}

// TestTargetsRun checks every function the deployments name is a target of the binary, chosen
// with --target (as documented) and with NETOPS_TARGET (as stack.yml and knative/ choose it).
func TestTargetsRun(t *testing.T) {
	bin := netopsBin(t)
	for _, target := range targets {
		t.Run(target, func(t *testing.T) {
			out, err := runBinary(t, nil, bin, "run", "--target="+target, "--help")
			if err != nil {
				t.Fatalf("netops run --target=%s --help: %v\n%s", target, err, out)
			}
			envOut, err := runBinary(t, []string{"NETOPS_TARGET=" + target}, bin, "run", "--help")
			if err != nil {
				t.Fatalf("NETOPS_TARGET=%s netops run --help: %v\n%s", target, err, envOut)
			}
			if envOut != out {
				t.Errorf("NETOPS_TARGET=%s selects other flags than --target=%s", target, target)
			}
		})
	}
	if out, err := runBinary(t, []string{"NETOPS_TARGET=no-such-function"}, bin, "run", "--help"); err == nil {
		t.Errorf("NETOPS_TARGET=no-such-function: want an error, got success:\n%s", out)
	}
}

// TestHealthcheck checks the image's HEALTHCHECK binary passes on a 2xx answer and fails on a
// 503 and on a closed port.
func TestHealthcheck(t *testing.T) {
	bin := filepath.Join(builtBinaries(t), "healthcheck")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_/health" {
			w.Write([]byte(`{"status":"ok"}`))
			return
		}
		http.Error(w, "not ready", http.StatusServiceUnavailable)
	}))
	u, _ := url.Parse(srv.URL)
	port := u.Port()
	if out, err := runBinary(t, []string{"PORT=" + port}, bin); err != nil {
		t.Errorf("healthy server: %v\n%s", err, out)
	}
	if out, err := runBinary(t, []string{"PORT=" + port}, bin, "/_/ready"); err == nil {
		t.Errorf("503 answer: want failure, got success\n%s", out)
	}
	srv.Close()
	if out, err := runBinary(t, []string{"PORT=" + port}, bin); err == nil {
		t.Errorf("closed port: want failure, got success\n%s", out)
	}
}
