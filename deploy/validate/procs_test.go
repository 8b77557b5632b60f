package validate

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// process is a server started by a test: its command and everything it printed.
type process struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

// syncBuffer is a bytes.Buffer safe for a process writing while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs name with args and env (added to this process's environment).
func start(name string, env []string, args ...string) (*process, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	p := &process{cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits up to grace for the process to drain and exit, then kills it.
// It returns an error if the process did not exit by itself in time.
func (p *process) stop(grace time.Duration) error {
	if p.exited() {
		return nil
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
		p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("did not exit within %s of SIGTERM", grace)
	}
}

// freePort returns a loopback TCP port nothing listens on right now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitHTTP polls url until it answers want, the process exits, or timeout passes.
func waitHTTP(p *process, url string, want int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		if p != nil && p.exited() {
			return fmt.Errorf("process exited (%v) before %s answered", p.err, url)
		}
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
			resp.Body.Close()
			if resp.StatusCode == want {
				return nil
			}
			last = fmt.Sprintf("%s: %s", resp.Status, b)
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer %d within %s (last: %s)", url, want, timeout, last)
}

// shared is one `netops up` (embedded NATS, file store, every function) that the tests share:
// the NATS server for `netops run` processes, and the target Prometheus scrapes and
// Alertmanager notifies.
type shared struct {
	proc    *process
	httpURL string
	natsURL string
	dir     string
}

// runnerToken is the project runner's Alertmanager bearer token in `netops up`.
const runnerToken = "validate-alertmanager-token"

var (
	sharedOnce sync.Once
	sharedUp   *shared
	sharedErr  error
)

// netopsUp starts the shared `netops up` on first use.
func netopsUp(t testing.TB) *shared {
	t.Helper()
	bin := netopsBin(t)
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "netops-validate-up-")
		if err != nil {
			sharedErr = err
			return
		}
		port := freePort(t)
		p, err := start(bin, []string{"NETOPS_ALERTMANAGER_TOKEN=" + runnerToken, "NETOPS_LOG_LEVEL=warn"},
			"up", "--port", strconv.Itoa(port), "--dir", dir, "--nats-listen", "127.0.0.1:0", "--bootstrap=false", "--speed", "0")
		if err != nil {
			sharedErr = err
			return
		}
		sharedUp = &shared{proc: p, httpURL: "http://127.0.0.1:" + strconv.Itoa(port), dir: dir}
		if err := waitHTTP(p, sharedUp.httpURL+"/readyz", http.StatusOK, 30*time.Second); err != nil {
			sharedErr = fmt.Errorf("netops up: %v\n%s", err, p.out.String())
			return
		}
		m := regexp.MustCompile(`nats:\s+(nats://\S+)`).FindStringSubmatch(p.out.String())
		if m == nil {
			sharedErr = fmt.Errorf("netops up printed no nats:// URL:\n%s", p.out.String())
			return
		}
		sharedUp.natsURL = m[1]
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedUp
}

// stopShared stops the shared `netops up`, if it was started.
func stopShared() {
	if sharedUp == nil {
		return
	}
	if sharedUp.proc != nil {
		sharedUp.proc.stop(20 * time.Second)
	}
	os.RemoveAll(sharedUp.dir)
}

// deployedEnv is the environment one deployment file gives a function, and what it mounts.
type deployedEnv struct {
	Env     map[string]string
	Secrets map[string]string // secret file path in the container → content to write for the test
	Ready   string            // the readiness path the platform probes
	Live    string            // the liveness path the platform probes
}

// startDeployed starts `netops run` (no flags: everything from the environment, as in the
// image) with a deployment's environment, pointing NATS and the store at the test's, and
// checks it becomes ready, serves its probes and metrics, and drains on SIGTERM.
func startDeployed(t *testing.T, target string, de deployedEnv) {
	t.Helper()
	up := netopsUp(t)
	tmp := t.TempDir()
	port := freePort(t)
	env := []string{"PORT=" + strconv.Itoa(port)}
	for k, v := range de.Env {
		switch k {
		case "NETOPS_NATS_URL":
			v = up.natsURL
		case "NETOPS_STORE":
			if !strings.HasPrefix(v, "s3://") || !strings.Contains(v, "endpoint=") {
				t.Errorf("%s: NETOPS_STORE %q: want s3://bucket?endpoint=host:port (MinIO)", target, v)
			}
			v = "file://" + filepath.Join(tmp, "store")
		}
		if strings.HasPrefix(v, "/var/openfaas/secrets/") || strings.HasPrefix(v, "/etc/") {
			content, ok := de.Secrets[v]
			if !ok {
				t.Errorf("%s: %s=%s names a file no declared secret provides", target, k, v)
				continue
			}
			f := filepath.Join(tmp, "secrets", filepath.Base(v))
			os.MkdirAll(filepath.Dir(f), 0o700)
			if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			v = f
		}
		env = append(env, k+"="+v)
	}
	if de.Env["NETOPS_STORE"] == "" {
		t.Errorf("%s: no NETOPS_STORE: the function would use a local directory", target)
		env = append(env, "NETOPS_STORE=file://"+filepath.Join(tmp, "store"))
	}
	p, err := start(netopsBin(t), env, "run")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	defer func() {
		if err := p.stop(15 * time.Second); err != nil {
			t.Errorf("%s: %v", target, err)
		} else if p.err != nil {
			t.Errorf("%s: exit after SIGTERM: %v\n%s", target, p.err, tail(p.out.String()))
		}
	}()
	if err := waitHTTP(p, base+de.Ready, http.StatusOK, 30*time.Second); err != nil {
		t.Fatalf("%s: %v\n%s", target, err, tail(p.out.String()))
	}
	for _, path := range []string{de.Live, "/healthz", "/readyz", "/_/health", "/_/ready", "/metrics"} {
		if err := waitHTTP(p, base+path, http.StatusOK, 5*time.Second); err != nil {
			t.Errorf("%s: %v", target, err)
		}
	}
	if !strings.Contains(p.out.String(), `"target":"`+target+`"`) && !strings.Contains(p.out.String(), "target="+target) {
		t.Errorf("%s: the process does not log itself as target %s:\n%s", target, target, tail(p.out.String()))
	}
}

// tail returns the last lines of a process's output, for failure messages.
func tail(s string) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}
