package validate

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// dockerInstruction is one instruction of a Dockerfile, continuation lines joined.
type dockerInstruction struct {
	Cmd  string // upper case: FROM, RUN, ...
	Args string
	Line int
}

// parseDockerfile splits a Dockerfile into instructions (comments and blank lines dropped,
// backslash continuations joined), enough for the checks here; BuildKit parses it for real.
func parseDockerfile(src string) []dockerInstruction {
	var out []dockerInstruction
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur.Len() > 0 && strings.HasPrefix(trimmed, "#") {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, dockerInstruction{Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args), Line: start})
		cur.Reset()
	}
	return out
}

// shellWords splits a shell command line into words: double and single quotes group, $VAR and
// ${VAR} expand from vars (outside single quotes). It covers what a Dockerfile RUN line here uses.
func shellWords(s string, vars map[string]string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == 0 && (c == ' ' || c == '\t'):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case quote == 0 && (c == '"' || c == '\''):
			quote, inWord = c, true
		case quote != 0 && c == quote:
			quote = 0
		case c == '$' && quote != '\'':
			name := ""
			if i+1 < len(s) && s[i+1] == '{' {
				end := strings.IndexByte(s[i:], '}')
				if end < 0 {
					return nil, fmt.Errorf("unclosed ${ in %q", s)
				}
				name, i = s[i+2:i+end], i+end
			} else {
				j := i + 1
				for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
					j++
				}
				name, i = s[i+1:j], j-1
			}
			v, ok := vars[name]
			if !ok {
				return nil, fmt.Errorf("$%s is not an ARG or ENV of the build stage", name)
			}
			cur.WriteString(v)
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed quote in %q", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// goBuild is one `go build` of the Dockerfile's build stage, ready to run on this machine.
type goBuild struct {
	Env    []string // NAME=value assignments before `go`
	Args   []string // after `go`
	Output string   // the -o path in the image (e.g. /out/netops)
}

// dockerGoBuilds extracts the `go build` RUN commands of the Dockerfile's build stage, with
// its ARGs expanded: TARGETOS/TARGETARCH as this machine's, VERSION as given.
func dockerGoBuilds(t testing.TB, dockerfile, version string) []goBuild {
	t.Helper()
	vars := map[string]string{"TARGETOS": runtime.GOOS, "TARGETARCH": runtime.GOARCH, "BUILDPLATFORM": runtime.GOOS + "/" + runtime.GOARCH}
	var builds []goBuild
	for _, in := range parseDockerfile(dockerfile) {
		switch in.Cmd {
		case "ARG":
			for _, a := range strings.Fields(in.Args) {
				name, def, hasDef := strings.Cut(a, "=")
				if _, set := vars[name]; !set && hasDef {
					vars[name] = def
				} else if !set {
					vars[name] = ""
				}
			}
			if version != "" {
				vars["VERSION"] = version
			}
		case "RUN":
			if !strings.Contains(in.Args, "go build") {
				continue
			}
			words, err := shellWords(in.Args, vars)
			if err != nil {
				t.Fatalf("Dockerfile:%d: %v", in.Line, err)
			}
			for len(words) > 0 && strings.HasPrefix(words[0], "--mount=") {
				words = words[1:]
			}
			var b goBuild
			for len(words) > 0 && regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`).MatchString(words[0]) {
				b.Env, words = append(b.Env, words[0]), words[1:]
			}
			if len(words) < 2 || words[0] != "go" || words[1] != "build" {
				t.Fatalf("Dockerfile:%d: want `[NAME=value ...] go build ...`, got %q", in.Line, words)
			}
			b.Args = words[1:]
			for i, w := range b.Args {
				if w == "-o" && i+1 < len(b.Args) {
					b.Output = b.Args[i+1]
				}
			}
			if b.Output == "" {
				t.Fatalf("Dockerfile:%d: go build without -o", in.Line)
			}
			builds = append(builds, b)
		}
	}
	return builds
}

// testVersion is what the build stamps into the binaries under test (the Dockerfile's VERSION).
const testVersion = "v0.0.0-validate"

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
	buildTook time.Duration
)

// builtBinaries runs the Dockerfile's `go build` commands once per test binary, writing the
// outputs to a temporary directory in place of /out, and returns that directory.
func builtBinaries(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root := repoRoot(t)
		buildDir, buildErr = os.MkdirTemp("", "netops-validate-bin-")
		if buildErr != nil {
			return
		}
		start := time.Now()
		builds := dockerGoBuilds(t, string(readFile(t, filepath.Join(root, "Dockerfile"))), testVersion)
		for _, b := range builds {
			args := append([]string(nil), b.Args...)
			for i := range args {
				if i > 0 && args[i-1] == "-o" {
					args[i] = filepath.Join(buildDir, filepath.Base(b.Output))
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
			cmd := exec.CommandContext(ctx, "go", args...)
			cmd.Dir = root // the build stage's WORKDIR holds the whole context (COPY . .)
			cmd.Env = append(os.Environ(), b.Env...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			cancel()
			if err != nil {
				buildErr = fmt.Errorf("%s go %s: %v\n%s", strings.Join(b.Env, " "), strings.Join(args, " "), err, out.String())
				return
			}
		}
		buildTook = time.Since(start)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildDir
}

// netopsBin is the path of the built netops binary.
func netopsBin(t testing.TB) string { return filepath.Join(builtBinaries(t), "netops") }

// runBinary runs a built binary to completion (30s at most) and returns its combined output.
func runBinary(t testing.TB, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopShared()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}
