package validate

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// monitoringDir is deploy/monitoring.
func monitoringDir(t testing.TB) string { return filepath.Join(repoRoot(t), "deploy", "monitoring") }

// tool finds a monitoring binary under one of its names. Without it the test skips, unless
// NETOPS_TEST_REQUIRE_MONITORING=1, when it fails (scripts/test.sh installs the tools).
func tool(t testing.TB, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("%s not installed (Debian: apt-get install prometheus prometheus-alertmanager)", strings.Join(names, " or "))
	if os.Getenv("NETOPS_TEST_REQUIRE_MONITORING") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// ruleFile is the part of a Prometheus rule file the checks here read.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Record string            `yaml:"record"`
			Alert  string            `yaml:"alert"`
			Expr   string            `yaml:"expr"`
			Labels map[string]string `yaml:"labels"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func loadRules(t testing.TB) ruleFile {
	t.Helper()
	var rf ruleFile
	if err := yaml.Unmarshal(readFile(t, filepath.Join(monitoringDir(t), "prometheus", "rules", "netops.rules.yml")), &rf); err != nil {
		t.Fatal(err)
	}
	return rf
}

// dashboard is the part of a Grafana dashboard the checks here read.
type dashboard struct {
	UID        string `json:"uid"`
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Name string `json:"name"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		ID      int    `json:"id"`
		Type    string `json:"type"`
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

func loadDashboards(t testing.TB) map[string]dashboard {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(monitoringDir(t), "grafana", "dashboards", "*.json"))
	out := map[string]dashboard{}
	for _, f := range files {
		var d dashboard
		if err := json.Unmarshal(readFile(t, f), &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = d
	}
	return out
}

var (
	// identRE finds the metric-name candidates of a PromQL expression.
	identRE = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	// stringRE drops quoted strings (label values, regexes) before looking for names.
	stringRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	// braceRE drops label matchers and grouping lists.
	braceRE = regexp.MustCompile(`\{[^}]*\}|\((?:\s*[a-z_]+\s*,?)+\)`)
)

// metricRefs returns the names an expression reads: ours (netops_*, model_*, netops:*) and the
// standard ones it uses; PromQL functions, keywords and durations are left out.
func metricRefs(expr string) []string {
	expr = stringRE.ReplaceAllString(expr, `""`)
	expr = regexp.MustCompile(`\[[^\]]*\]`).ReplaceAllString(expr, "")
	expr = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`).ReplaceAllString(expr, "")
	expr = braceRE.ReplaceAllStringFunc(expr, func(s string) string {
		if strings.HasPrefix(s, "{") {
			return ""
		}
		return s
	})
	var out []string
	for _, id := range identRE.FindAllString(expr, -1) {
		if strings.HasPrefix(id, "netops") || strings.HasPrefix(id, "model_") || strings.HasPrefix(id, "go_") ||
			strings.HasPrefix(id, "process_") || id == "up" || id == "ALERTS" {
			out = append(out, id)
		}
	}
	return out
}

// baseMetric strips the series suffixes of histograms and summaries.
func baseMetric(name string, known map[string]bool) string {
	for _, suf := range []string{"_bucket", "_sum", "_count"} {
		if b, ok := strings.CutSuffix(name, suf); ok && known[b] {
			return b
		}
	}
	return name
}

// TestMetricNames checks every metric the alert rules and dashboards read is one the functions
// register (or a recording rule of ours), so a renamed metric breaks this test rather than an
// alert that can then never fire.
func TestMetricNames(t *testing.T) {
	known := metricNames(t)
	if src := string(readFile(t, filepath.Join(repoRoot(t), "internal", "function", "metrics.go"))); !strings.Contains(src, "collectors.NewGoCollector") || !strings.Contains(src, "collectors.NewProcessCollector") {
		t.Error("the runtime no longer registers the Go and process collectors the dashboards read")
	}
	rf := loadRules(t)
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				known[r.Record] = true
			}
		}
	}
	check := func(where, expr string) {
		for _, ref := range metricRefs(expr) {
			if !known[baseMetric(ref, known)] {
				t.Errorf("%s reads %s, which no function registers (grep `Name: \"` under functions/ and internal/)", where, ref)
			}
		}
	}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			check("rule "+r.Record+r.Alert, r.Expr)
		}
	}
	for file, d := range loadDashboards(t) {
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				check(file+" panel "+p.Title, tg.Expr)
			}
		}
	}
}

// TestAlertRules checks the rules' contract with the project runner: an alert that asks for
// retraining names the model, and the canary guard is there.
func TestAlertRules(t *testing.T) {
	rf := loadRules(t)
	alerts := map[string]string{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts[r.Alert] = r.Expr
			if r.Labels["severity"] == "" {
				t.Errorf("alert %s has no severity label", r.Alert)
			}
			if r.Labels["netops_action"] == "retrain" && !strings.Contains(r.Expr, "model") {
				t.Errorf("alert %s asks for retraining, but its expression keeps no model label for the runner", r.Alert)
			}
		}
	}
	for _, want := range []string{"NetopsModelDriftDetected", "NetopsDetectorDrift", "NetopsFunctionErrorRate", "NetopsModelErrorRate",
		"NetopsHandlerLatencyP99", "NetopsModelLatencyP99", "NetopsCanaryPredictionShift"} {
		if _, ok := alerts[want]; !ok {
			t.Errorf("no alert %s", want)
		}
	}
}

// TestPromtool runs Prometheus' own checks: the configuration (with its rule files), and the
// rules' unit tests.
func TestPromtool(t *testing.T) {
	promtool := tool(t, "promtool")
	dir := monitoringDir(t)
	cfg := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(cfg, testPrometheusConfig(t, nil, filepath.Dir(cfg)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"check", "config", cfg},
		{"check", "rules", filepath.Join(dir, "prometheus", "rules", "netops.rules.yml")},
		{"test", "rules", filepath.Join(dir, "prometheus", "tests", "netops.rules.test.yml")},
	} {
		if out, err := runBinary(t, nil, promtool, args...); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestAmtool runs Alertmanager's own configuration check.
func TestAmtool(t *testing.T) {
	amtool := tool(t, "amtool")
	cfg := filepath.Join(monitoringDir(t), "alertmanager", "alertmanager.yml")
	if out, err := runBinary(t, nil, amtool, "check-config", cfg); err != nil {
		t.Errorf("amtool check-config: %v\n%s", err, out)
	}
}

// TestDashboards checks the Grafana dashboards: the overview, model details and performance
// boards exist with unique uids and panel ids, and every panel queries something.
func TestDashboards(t *testing.T) {
	ds := loadDashboards(t)
	uids := map[string]string{}
	for file, d := range ds {
		if d.UID == "" || d.Title == "" {
			t.Errorf("%s: no uid or title", file)
		}
		if other, dup := uids[d.UID]; dup {
			t.Errorf("%s and %s share uid %s", file, other, d.UID)
		}
		uids[d.UID] = file
		ids := map[int]bool{}
		for _, p := range d.Panels {
			if ids[p.ID] {
				t.Errorf("%s: panel id %d twice", file, p.ID)
			}
			ids[p.ID] = true
			if p.Type != "row" && (len(p.Targets) == 0 || p.Targets[0].Expr == "") {
				t.Errorf("%s: panel %q has no query", file, p.Title)
			}
		}
	}
	for _, want := range []string{"netops-overview", "netops-model", "netops-performance"} {
		if _, ok := uids[want]; !ok {
			t.Errorf("no dashboard with uid %s", want)
		}
	}
}

// fileSDTarget is one entry of a Prometheus file_sd file.
type fileSDTarget struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// testPrometheusConfig is the repository's prometheus.yml made runnable here: each
// kubernetes_sd_configs becomes a file_sd_configs listing pods (as Kubernetes discovery would
// label them), with the relabeling untouched; rule files resolve to the repository's; scrapes and
// evaluations run every second; the Alertmanager of the cluster is left out. (Debian's Prometheus
// is built without Kubernetes discovery, so this is also how promtool can check the file.)
func testPrometheusConfig(t testing.TB, pods []fileSDTarget, dir string) []byte {
	t.Helper()
	src := filepath.Join(monitoringDir(t), "prometheus")
	var cfg map[string]any
	if err := yaml.Unmarshal(readFile(t, filepath.Join(src, "prometheus.yml")), &cfg); err != nil {
		t.Fatal(err)
	}
	sd, _ := json.Marshal(pods)
	if pods == nil {
		sd = []byte("[]")
	}
	sdFile := filepath.Join(dir, "pods.json")
	if err := os.WriteFile(sdFile, sd, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg["global"] = map[string]any{"scrape_interval": "1s", "evaluation_interval": "1s"}
	delete(cfg, "alerting")
	var rules []any
	for _, r := range cfg["rule_files"].([]any) {
		rules = append(rules, filepath.Join(src, r.(string)))
	}
	cfg["rule_files"] = rules
	converted := 0
	for _, sc := range cfg["scrape_configs"].([]any) {
		job := sc.(map[string]any)
		if _, ok := job["kubernetes_sd_configs"]; ok {
			delete(job, "kubernetes_sd_configs")
			job["file_sd_configs"] = []any{map[string]any{"files": []any{sdFile}, "refresh_interval": "1s"}}
			converted++
		}
	}
	if converted == 0 {
		t.Fatal("prometheus.yml: no scrape job with kubernetes_sd_configs (how the function pods are found)")
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dashboardQuery makes a dashboard expression a plain PromQL query: Grafana's variables become
// values Prometheus accepts.
func dashboardQuery(expr string) string {
	r := strings.NewReplacer("$__rate_interval", "1m", "$__interval", "1m", "${datasource}", "", "$model", "netops", "$version", ".*", "$function", ".*")
	return r.Replace(expr)
}

// promAPI GETs a Prometheus HTTP API path and decodes its data.
func promAPI(base, path string, q url.Values, into any) error {
	resp, err := http.Get(base + path + "?" + q.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var env struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("%s: %s: %s", path, resp.Status, body)
	}
	if env.Status != "success" {
		return fmt.Errorf("%s: %s", path, env.Error)
	}
	if into != nil {
		return json.Unmarshal(env.Data, into)
	}
	return nil
}

// TestPrometheusScrapesNetops runs a real Prometheus with the repository's rules against a
// running `netops up`: the target is up, the functions' series arrive, every rule evaluates
// without error, and every dashboard query is valid PromQL.
func TestPrometheusScrapesNetops(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers")
	}
	bin := tool(t, "prometheus")
	up := netopsUp(t)
	tmp := t.TempDir()
	target := strings.TrimPrefix(up.httpURL, "http://")
	// Two pods as Kubernetes service discovery would describe them: the function's container
	// (kept, labelled service=generator) and Knative's queue-proxy sidecar (dropped).
	pods := []fileSDTarget{
		{Targets: []string{target}, Labels: map[string]string{
			"__meta_kubernetes_namespace": "netops", "__meta_kubernetes_pod_name": "generator-00001-deployment-abc",
			"__meta_kubernetes_pod_container_name": "netops", "__meta_kubernetes_pod_container_port_number": "8080",
			"__meta_kubernetes_pod_label_app_kubernetes_io_part_of": "netops", "__meta_kubernetes_pod_label_app_kubernetes_io_component": "generator"}},
		{Targets: []string{"127.0.0.1:1"}, Labels: map[string]string{
			"__meta_kubernetes_namespace": "netops", "__meta_kubernetes_pod_name": "generator-00001-deployment-abc",
			"__meta_kubernetes_pod_container_name": "queue-proxy", "__meta_kubernetes_pod_container_port_number": "9091",
			"__meta_kubernetes_pod_label_app_kubernetes_io_part_of": "netops", "__meta_kubernetes_pod_label_app_kubernetes_io_component": "generator"}},
	}
	cfgFile := filepath.Join(tmp, "prometheus.yml")
	if err := os.WriteFile(cfgFile, testPrometheusConfig(t, pods, tmp), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	p, err := start(bin, nil, "--config.file="+cfgFile, "--storage.tsdb.path="+filepath.Join(tmp, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--log.level=warn")
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop(10 * time.Second)
	if err := waitHTTP(p, base+"/-/ready", http.StatusOK, 30*time.Second); err != nil {
		t.Fatalf("prometheus: %v\n%s", err, tail(p.out.String()))
	}

	// The scrape: up == 1 and the functions' own series (registered at start, so present even
	// before any event flows).
	wantSeries := []string{`up{job="netops",service="generator",namespace="netops"} == 1`, `netops_generator_rows_total{job="netops",service="generator"}`,
		`netops_preprocessor_rows_total{job="netops"}`, `go_goroutines{job="netops"}`, `count(up{job="netops"}) == 1`}
	deadline := time.Now().Add(30 * time.Second)
	for _, q := range wantSeries {
		for {
			var res struct {
				Result []json.RawMessage `json:"result"`
			}
			err := promAPI(base, "/api/v1/query", url.Values{"query": {q}}, &res)
			if err == nil && len(res.Result) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("query %s: no series after 30s (err %v)\n%s", q, err, tail(p.out.String()))
			}
			time.Sleep(250 * time.Millisecond)
		}
	}

	// Every rule group loaded and every rule evaluated without error.
	var rulesData struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Name      string `json:"name"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"rules"`
		} `json:"groups"`
	}
	for {
		if err := promAPI(base, "/api/v1/rules", nil, &rulesData); err != nil {
			t.Fatal(err)
		}
		pending := 0
		for _, g := range rulesData.Groups {
			for _, r := range g.Rules {
				if r.Health == "unknown" {
					pending++
				}
			}
		}
		if pending == 0 || time.Now().After(deadline.Add(30*time.Second)) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	var groups []string
	for _, g := range rulesData.Groups {
		groups = append(groups, g.Name)
		for _, r := range g.Rules {
			if r.Health != "ok" {
				t.Errorf("rule %s (group %s): health %s %s", r.Name, g.Name, r.Health, r.LastError)
			}
		}
	}
	sort.Strings(groups)
	if want := []string{"netops-functions", "netops-model", "netops-recording"}; !slices.Equal(groups, want) {
		t.Errorf("rule groups %v, want %v", groups, want)
	}

	// Dashboard queries parse and run.
	for file, d := range loadDashboards(t) {
		for _, pn := range d.Panels {
			for _, tg := range pn.Targets {
				if err := promAPI(base, "/api/v1/query", url.Values{"query": {dashboardQuery(tg.Expr)}}, nil); err != nil {
					t.Errorf("%s panel %q: %v", file, pn.Title, err)
				}
			}
		}
	}
}
