package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/netopsfn/netops/internal/runs"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/netopsfn/netops/functions/projectrunner"
	"github.com/netopsfn/netops/internal/config"
)

type runsConfig struct {
	storeConfig
	Model string `flag:"model" env:"RUNS_MODEL" help:"only runs of this model"`
	JSON  bool   `flag:"json" env:"RUNS_JSON" default:"false" help:"print JSON"`
}

// cmdRuns lists the project runner's runs or shows one, from the store.
func cmdRuns(ctx context.Context, args []string, stdout io.Writer) error {
	usage := "Usage: netops runs list | show ID   [--model M] [--json] [--store URL]"
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprintln(stdout, usage)
		if len(args) == 0 {
			return errors.New("want a subcommand: list or show")
		}
		return nil
	}
	sub := args[0]
	fs := newFlagSet("runs "+sub, usage, stdout)
	var c runsConfig
	if err := config.Bind(fs, &c); err != nil {
		return err
	}
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if err := config.Load(fs, &c); err != nil {
		return err
	}
	store, err := c.open(ctx)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		all, err := runs.List(ctx, store)
		if err != nil {
			return err
		}
		var keep []*runs.Run
		for _, r := range all {
			if c.Model == "" || r.Model == c.Model {
				keep = append(keep, r)
			}
		}
		if c.JSON {
			return writeJSON(stdout, keep)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tMODEL\tTRIGGER\tSTATUS\tDECISION\tCANDIDATE\tCREATED\tSECONDS")
		for _, r := range keep {
			cand := "-"
			if r.Candidate != nil {
				cand = "v" + strconv.Itoa(r.Candidate.Version)
			}
			secs := "-"
			if !r.Finished.IsZero() {
				secs = fmt.Sprintf("%.1f", r.Finished.Sub(r.Created).Seconds())
			}
			fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Model, r.Trigger.Kind, r.Trigger.By, r.Status, orDash(r.Decision), cand,
				r.Created.Format(time.RFC3339), secs)
		}
		return tw.Flush()
	case "show":
		if len(pos) != 1 {
			return fmt.Errorf("show: want one run id\n%s", usage)
		}
		r, err := runs.Load(ctx, store, pos[0])
		if err != nil {
			return err
		}
		if c.JSON {
			return writeJSON(stdout, r)
		}
		printRun(stdout, r)
		return nil
	default:
		return fmt.Errorf("unknown subcommand %q\n%s", sub, usage)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printRun(w io.Writer, r *runs.Run) {
	fmt.Fprintf(w, "run %s  %s %s  %s\n", r.ID, r.Workflow, r.Model, r.Status)
	fmt.Fprintf(w, "trigger   %s by %s at %s\n", r.Trigger.Kind, r.Trigger.By, r.Trigger.At.Format(time.RFC3339))
	if len(r.Coalesced) > 0 {
		fmt.Fprintf(w, "coalesced %d more triggers\n", len(r.Coalesced))
	}
	if r.Data != nil {
		fmt.Fprintf(w, "data      %s %s → %s: %d train + %d hold-out rows (%d positive)\n", r.Data.Source, r.Data.From.Format(time.RFC3339),
			r.Data.To.Format(time.RFC3339), r.Data.TrainRows, r.Data.HoldoutRows, r.Data.Positives)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tSTATUS\tSECONDS\tERROR")
	for _, s := range r.Steps {
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%s\n", s.Name, s.Status, s.Seconds, s.Error)
	}
	_ = tw.Flush()
	if r.Candidate != nil {
		metric := r.Params.Metric
		line := fmt.Sprintf("candidate v%d (%s) %s %.4f", r.Candidate.Version, r.Candidate.Kind, metric, r.Candidate.Metrics[metric])
		if r.Champion != nil {
			line += fmt.Sprintf("   champion v%d (%s) %.4f", r.Champion.Version, r.Champion.Kind, r.Champion.Metrics[metric])
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "decision  %s: %s\n", orDash(r.Decision), r.Reason)
	for _, a := range r.Artifacts {
		fmt.Fprintf(w, "artifact  %s\n", a)
	}
}

type triggerConfig struct {
	URL        string `flag:"url" env:"RUNNER_URL" default:"http://127.0.0.1:8080" help:"base URL of the project runner (netops up serves it on its port)"`
	Model      string `flag:"model" env:"TRIGGER_MODEL" help:"model to retrain (default: the runner's only model)"`
	Params     string `flag:"params" env:"TRIGGER_PARAMS" help:"run parameters as a JSON object, e.g. '{\"candidates\":[\"gbt\"],\"deploy\":\"canary\"}'"`
	SecretFile string `flag:"webhook-secret-file" env:"WEBHOOK_SECRET_FILE" help:"file holding the webhook secret (else NETOPS_WEBHOOK_SECRET, else .netops/webhook-secret as netops up writes it)"`
}

// defaultSecretFile is where `netops up` keeps the webhook secret it generates.
const defaultSecretFile = ".netops/webhook-secret"

// cmdTrigger signs and sends a webhook request that starts a run.
func cmdTrigger(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("trigger WORKFLOW", "Start a project-runner workflow (train) through its signed webhook.", stdout)
	var c triggerConfig
	if err := config.Bind(fs, &c); err != nil {
		return err
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := config.Load(fs, &c); err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("want one workflow name, e.g. netops trigger train")
	}
	secret := []byte(os.Getenv("NETOPS_WEBHOOK_SECRET"))
	if len(secret) == 0 && c.SecretFile == "" {
		if _, err := os.Stat(defaultSecretFile); err == nil {
			c.SecretFile = defaultSecretFile // what `netops up` created
		}
	}
	if c.SecretFile != "" {
		b, err := os.ReadFile(c.SecretFile)
		if err != nil {
			return fmt.Errorf("webhook-secret-file: %w", err)
		}
		secret = bytes.TrimSpace(b)
	}
	if len(secret) == 0 {
		return errors.New("no webhook secret: set NETOPS_WEBHOOK_SECRET or --webhook-secret-file (the same one the runner has)")
	}
	req := projectrunner.WebhookRequest{Workflow: pos[0], Model: c.Model}
	if c.Params != "" {
		if !json.Valid([]byte(c.Params)) {
			return fmt.Errorf("params: not valid JSON: %s", c.Params)
		}
		req.Params = json.RawMessage(c.Params)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	now := time.Now()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.URL, "/")+"/webhook", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("url: %w", err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set(projectrunner.SignatureHeader, projectrunner.Sign(secret, now, body))
	hr.Header.Set(projectrunner.TimestampHeader, strconv.FormatInt(now.Unix(), 10))
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("runner answered %s: %s", resp.Status, strings.TrimSpace(string(answer)))
	}
	var rs projectrunner.RunStarted
	if err := json.Unmarshal(answer, &rs); err != nil {
		return fmt.Errorf("runner answer: %w", err)
	}
	verb := "started"
	if rs.Coalesced {
		verb = "joined the active run"
	}
	fmt.Fprintf(stdout, "%s %s: run %s (netops runs show %s)\n", rs.Model, verb, rs.RunID, rs.RunID)
	return nil
}
