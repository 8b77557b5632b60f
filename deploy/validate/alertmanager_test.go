package validate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// recorder is an HTTP endpoint that keeps what it was sent.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	Auth string
	Body []byte
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{Auth: req.Header.Get("Authorization"), Body: body})
	r.mu.Unlock()
	w.Write([]byte("ok"))
}

func (r *recorder) all() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

// bodies joins everything received, for substring checks.
func (r *recorder) bodies() string {
	var b strings.Builder
	for _, x := range r.all() {
		b.Write(x.Body)
		b.WriteByte('\n')
	}
	return b.String()
}

// testAlertmanagerConfig is the repository's alertmanager.yml with only what a test machine
// needs changed: the Slack URL and the runner token become local files, the runner receiver posts
// to the given URLs, and the grouping waits shrink to a second.
func testAlertmanagerConfig(t *testing.T, slackURL string, runnerURLs []string, tmp string) []byte {
	t.Helper()
	var cfg map[string]any
	if err := yaml.Unmarshal(readFile(t, filepath.Join(monitoringDir(t), "alertmanager", "alertmanager.yml")), &cfg); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	global := cfg["global"].(map[string]any)
	if _, ok := global["slack_api_url_file"]; !ok {
		t.Fatal("alertmanager.yml: no global.slack_api_url_file")
	}
	global["slack_api_url_file"] = write("slack-webhook-url", slackURL)
	token := write("runner-token", runnerToken)

	var shrink func(route map[string]any)
	shrink = func(route map[string]any) {
		for _, k := range []string{"group_wait", "group_interval"} {
			if _, ok := route[k]; ok || k == "group_wait" {
				route[k] = "1s"
			}
		}
		if subs, ok := route["routes"].([]any); ok {
			for _, s := range subs {
				shrink(s.(map[string]any))
			}
		}
	}
	shrink(cfg["route"].(map[string]any))

	found := false
	for _, r := range cfg["receivers"].([]any) {
		rcv := r.(map[string]any)
		if rcv["name"] != "project-runner" {
			continue
		}
		found = true
		hooks := rcv["webhook_configs"].([]any)
		if len(hooks) != 1 {
			t.Fatalf("project-runner receiver: %d webhook_configs, want 1", len(hooks))
		}
		orig := hooks[0].(map[string]any)
		if !strings.HasSuffix(orig["url"].(string), "/alertmanager") {
			t.Errorf("project-runner webhook url %q: want the runner's /alertmanager route", orig["url"])
		}
		auth := orig["http_config"].(map[string]any)["authorization"].(map[string]any)
		if auth["credentials_file"] == nil {
			t.Error("project-runner webhook sends no bearer token (http_config.authorization.credentials_file)")
		}
		var out []any
		for _, u := range runnerURLs {
			h := map[string]any{}
			for k, v := range orig {
				h[k] = v
			}
			h["url"] = u
			h["http_config"] = map[string]any{"authorization": map[string]any{"type": "Bearer", "credentials_file": token}}
			out = append(out, h)
		}
		rcv["webhook_configs"] = out
	}
	if !found {
		t.Fatal("alertmanager.yml: no project-runner receiver")
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAlertmanagerDelivers runs a real Alertmanager with the repository's routing tree and
// posts two alerts: a drift alert (netops_action=retrain) must reach Slack and the project
// runner's /alertmanager, with the bearer token, and start a run there; a latency alert must
// reach Slack only.
func TestAlertmanagerDelivers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers")
	}
	bin := tool(t, "prometheus-alertmanager", "alertmanager")
	up := netopsUp(t)
	tmp := t.TempDir()

	slack, hook := &recorder{}, &recorder{}
	slackSrv, hookSrv := httptest.NewServer(slack), httptest.NewServer(hook)
	defer slackSrv.Close()
	defer hookSrv.Close()

	// The real runner, if `netops up` serves its routes (GET on a POST-only route: 405).
	urls := []string{hookSrv.URL + "/alertmanager"}
	realRunner := false
	if resp, err := http.Get(up.httpURL + "/alertmanager"); err == nil {
		resp.Body.Close()
		realRunner = resp.StatusCode == http.StatusMethodNotAllowed
	}
	if realRunner {
		urls = append(urls, up.httpURL+"/alertmanager")
	} else {
		t.Log("netops up serves no /alertmanager (project-runner not registered): checking delivery to the stand-in only")
	}

	cfgFile := filepath.Join(tmp, "alertmanager.yml")
	if err := os.WriteFile(cfgFile, testAlertmanagerConfig(t, slackSrv.URL, urls, tmp), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	p, err := start(bin, nil, "--config.file="+cfgFile, "--storage.path="+filepath.Join(tmp, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--cluster.listen-address=", "--log.level=warn")
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop(10 * time.Second)
	if err := waitHTTP(p, base+"/-/ready", http.StatusOK, 30*time.Second); err != nil {
		t.Fatalf("alertmanager: %v\n%s", err, tail(p.out.String()))
	}

	now := time.Now().UTC()
	alerts := []map[string]any{
		{"labels": map[string]string{"alertname": "NetopsModelDriftDetected", "severity": "critical", "netops_action": "retrain", "model": "netops", "version": "1"},
			"annotations": map[string]string{"summary": "Model netops v1: drift detected"}, "startsAt": now.Format(time.RFC3339)},
		{"labels": map[string]string{"alertname": "NetopsModelLatencyP99", "severity": "warning", "model": "netops", "version": "1"},
			"annotations": map[string]string{"summary": "Model netops v1: p99 inference latency 400ms"}, "startsAt": now.Format(time.RFC3339)},
	}
	body, _ := json.Marshal(alerts)
	resp, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: %s", resp.Status)
	}

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 30s\nalertmanager:\n%s", what, tail(p.out.String()))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitFor("Slack receives both alerts", func() bool {
		b := slack.bodies()
		return strings.Contains(b, "NetopsModelDriftDetected") && strings.Contains(b, "NetopsModelLatencyP99")
	})
	waitFor("the runner's receiver gets the drift alert", func() bool { return len(hook.all()) > 0 })
	time.Sleep(2 * time.Second) // room for a wrongly routed latency alert to arrive too

	for _, r := range hook.all() {
		if r.Auth != "Bearer "+runnerToken {
			t.Errorf("runner webhook Authorization %q, want the bearer token", r.Auth)
		}
		var payload struct {
			Version string `json:"version"`
			Alerts  []struct {
				Status string            `json:"status"`
				Labels map[string]string `json:"labels"`
			} `json:"alerts"`
		}
		if err := json.Unmarshal(r.Body, &payload); err != nil {
			t.Fatalf("runner webhook body: %v", err)
		}
		if payload.Version != "4" {
			t.Errorf("webhook payload version %q: the runner accepts \"4\"", payload.Version)
		}
		for _, a := range payload.Alerts {
			if a.Labels["alertname"] != "NetopsModelDriftDetected" || a.Labels["model"] != "netops" || a.Status != "firing" {
				t.Errorf("the runner was sent %v (%s); want only the firing drift alert with its model", a.Labels, a.Status)
			}
		}
	}

	if !realRunner {
		return
	}
	// The real runner acted on it: a run triggered by this alert is listed.
	waitFor("the project runner lists a run triggered by the alert", func() bool {
		resp, err := http.Get(up.httpURL + "/runs?model=netops")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var runs struct {
			Runs []struct {
				Trigger struct {
					Kind string `json:"kind"`
					By   string `json:"by"`
				} `json:"trigger"`
			} `json:"runs"`
		}
		if json.NewDecoder(resp.Body).Decode(&runs) != nil {
			return false
		}
		for _, r := range runs.Runs {
			if r.Trigger.Kind == "alertmanager" && strings.HasPrefix(r.Trigger.By, "NetopsModelDriftDetected") {
				return true
			}
		}
		return false
	})
}
