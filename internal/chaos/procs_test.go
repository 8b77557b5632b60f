//go:build chaos || load

package chaos

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is a supervised child process: once started it is restarted whenever it exits, until
// shutdown. kill -9 is a fault the supervisor repairs; its log goes to a file of its own.
type proc struct {
	name    string
	bin     string
	args    []string
	env     []string
	logPath string
	// ready reports whether a freshly started process serves (nil: ready once started).
	ready func(ctx context.Context) error
	// restartDelay is the pause before a restart after an exit.
	restartDelay time.Duration

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{} // closed when cmd has exited
	stopping bool
	starts   int
	killedAt time.Time // when the last fault killed it; the next ready start measures the restart
	restarts []time.Duration
	wg       sync.WaitGroup

	startedAt time.Time
	delay     time.Duration
	signaled  bool     // the running incarnation was sent a fatal signal by the suite
	ownExits  []string // incarnations that became ready and then exited without a signal from the suite
	// failedStarts counts incarnations that exited before they were ready (a server was down).
	failedStarts int
	readyStart   int // the last incarnation (by start number) that became ready
}

// supervise starts the process and keeps it running until shutdown.
func (p *proc) supervise(t *testing.T) {
	t.Helper()
	if err := p.startOnce(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	p.wg.Go(func() {
		for {
			p.mu.Lock()
			done := p.exited
			p.mu.Unlock()
			<-done
			p.mu.Lock()
			stop := p.stopping
			p.mu.Unlock()
			if stop {
				return
			}
			// An incarnation that died young (its server is down) restarts with backoff.
			p.mu.Lock()
			lived := time.Since(p.startedAt)
			if lived < 3*time.Second {
				p.delay = min(max(2*p.delay, p.restartDelay), 3*time.Second)
			} else {
				p.delay = p.restartDelay
			}
			delay := p.delay
			p.mu.Unlock()
			time.Sleep(delay)
			for {
				if p.isStopping() {
					return
				}
				if err := p.startOnce(); err == nil {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
	})
}

func (p *proc) isStopping() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopping
}

// startOnce starts one incarnation and, in the background, records how long the restart took
// once it reports ready.
func (p *proc) startOnce() error {
	lf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.mu.Lock()
	p.starts++
	fmt.Fprintf(lf, "=== chaos: start #%d of %s at %s\n", p.starts, p.name, time.Now().Format(time.RFC3339Nano))
	p.mu.Unlock()
	if err := cmd.Start(); err != nil {
		lf.Close()
		return err
	}
	exited := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.exited, p.startedAt, p.signaled = cmd, exited, time.Now(), false
	killedAt, start := p.killedAt, p.starts
	p.mu.Unlock()
	go func() {
		err := cmd.Wait()
		lf.Close()
		p.mu.Lock()
		if lived := time.Since(p.startedAt); !p.signaled && !p.stopping {
			if p.readyStart != start {
				p.failedStarts++
			} else {
				p.ownExits = append(p.ownExits, fmt.Sprintf("%v after running %s", err, lived.Round(time.Millisecond)))
			}
		}
		p.mu.Unlock()
		close(exited)
	}()
	if p.ready != nil {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			for ctx.Err() == nil {
				select {
				case <-exited:
					return
				default:
				}
				if p.ready(ctx) == nil {
					p.mu.Lock()
					p.readyStart = start
					if !killedAt.IsZero() && p.killedAt.Equal(killedAt) {
						p.restarts = append(p.restarts, time.Since(killedAt))
						p.killedAt = time.Time{}
					}
					p.mu.Unlock()
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	return nil
}

// signal sends sig to the running incarnation; a SIGKILL is recorded as a fault to recover from.
func (p *proc) signal(sig syscall.Signal) (pid int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0, errors.New("not running")
	}
	select {
	case <-p.exited:
		return 0, errors.New("not running")
	default:
	}
	if sig == syscall.SIGKILL {
		p.killedAt = time.Now()
	}
	if sig == syscall.SIGKILL || sig == syscall.SIGTERM {
		p.signaled = true
	}
	return p.cmd.Process.Pid, p.cmd.Process.Signal(sig)
}

// waitReady polls the readiness check until it passes.
func (p *proc) waitReady(ctx context.Context) error {
	for {
		if err := p.ready(ctx); err == nil {
			return nil
		} else if ctx.Err() != nil {
			return fmt.Errorf("%s not ready: %w", p.name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends supervision and the process: sig first, SIGKILL after grace.
func (p *proc) stop(sig syscall.Signal, grace time.Duration) {
	p.mu.Lock()
	p.stopping, p.signaled = true, true
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		_ = cmd.Process.Signal(sig)
		select {
		case <-exited:
		case <-time.After(grace):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	p.wg.Wait()
}

// pause stops supervision, stops the process gracefully and waits for it to exit; resume starts
// it again. Used for the NATS and MinIO outages, where the server itself is the fault.
func (p *proc) pause(sig syscall.Signal, grace time.Duration) {
	p.stop(sig, grace)
	p.mu.Lock()
	p.stopping = false
	p.mu.Unlock()
}

func (p *proc) resume(t *testing.T) { p.supervise(t) }

// restartTimes returns the durations from each kill to the next ready incarnation.
func (p *proc) restartTimes() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Duration(nil), p.restarts...)
}

// exits returns how the incarnations that ran and then exited on their own ended, and how many
// starts failed.
func (p *proc) exits() ([]string, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.ownExits...), p.failedStarts
}

// tail returns the last n lines of the process's log.
func (p *proc) tail(n int) string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// freePort returns a loopback port nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// httpReady is a readiness check: GET url answers 200.
func httpReady(url string) func(context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", url, resp.Status)
		}
		return nil
	}
}

// tcpReady is a readiness check: addr accepts TCP connections.
func tcpReady(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		d := net.Dialer{Timeout: time.Second}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
}

// baseEnv is the test's environment without NETOPS_* settings, so a child process is configured
// by its flags alone.
func baseEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "NETOPS_") || strings.HasPrefix(kv, "MINIO_") || strings.HasPrefix(kv, "PORT=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// pct returns the p-th percentile of sorted durations.
func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := (len(d) - 1) * p / 100
	return d[i].Round(time.Millisecond)
}
