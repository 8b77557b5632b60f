package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/netopsfn/netops/internal/config"
)

// inferStdin is where `netops infer -` reads its rows (a variable for tests).
var inferStdin io.Reader = os.Stdin

// inferConfig is the configuration of `netops infer`.
type inferConfig struct {
	URL     string        `flag:"url" env:"INFER_URL" default:"http://localhost:8080" help:"base URL of the model server"`
	Model   string        `flag:"model" env:"INFER_MODEL" default:"netops" help:"model to ask"`
	Version string        `flag:"version" env:"INFER_VERSION" default:"" help:"version to ask (default: the server routes to the champion or the canary)"`
	Rows    string        `flag:"rows" env:"INFER_ROWS" default:"" help:"JSON file of rows: [[f1, f2, …], …] in the model's feature order, [{\"feature\": value, …}, …], or a whole request {\"inputs\": …}; '-' reads stdin"`
	ID      string        `flag:"id" env:"INFER_ID" default:"" help:"request id (default: the server assigns one)"`
	Sticky  bool          `flag:"sticky" env:"INFER_STICKY" default:"false" help:"ask for sticky routing: the same device (or id) always gets the same version"`
	JSON    bool          `flag:"json" env:"INFER_JSON" default:"false" help:"print the server's JSON response instead of a table"`
	Timeout time.Duration `flag:"timeout" env:"INFER_TIMEOUT" default:"10s" help:"request timeout"`
	devices []string
}

func (c *inferConfig) Validate() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("url: required"))
	}
	if c.Model == "" {
		errs = append(errs, errors.New("model: required"))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout: %s, want > 0", c.Timeout))
	}
	return errors.Join(errs...)
}

func cmdInfer(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("infer", "Sends rows (--rows file.json, or - for stdin) or device ids (--device, repeatable or comma-separated;\nthe server enriches them from the online feature store) to a model server's\n/v2/models/<model>[/versions/<v>]/infer and prints the predictions.", stdout)
	var c inferConfig
	fs.Func("device", "device id to score with its online features (repeatable, or comma-separated)", func(s string) error {
		for _, d := range strings.Split(s, ",") {
			if d = strings.TrimSpace(d); d != "" {
				c.devices = append(c.devices, d)
			}
		}
		return nil
	})
	if err := config.Parse(fs, &c, args); err != nil {
		return err
	}
	switch rest := fs.Args(); {
	case len(rest) == 1 && rest[0] == "-" && c.Rows == "":
		c.Rows = "-"
	case len(rest) > 0:
		return fmt.Errorf("unexpected arguments %q (rows come from --rows file.json or -)", rest)
	}
	if (len(c.devices) > 0) == (c.Rows != "") {
		return errors.New("give either --device ids or --rows file.json (or - for stdin)")
	}
	body, err := c.request()
	if err != nil {
		return err
	}
	url := strings.TrimRight(c.URL, "/") + "/v2/models/" + c.Model
	if c.Version != "" {
		url += "/versions/" + c.Version
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/infer", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s answered %d: %s", url, resp.StatusCode, e.Error)
		}
		return fmt.Errorf("%s answered %s: %.200s", url, resp.Status, data)
	}
	if c.JSON {
		_, err := stdout.Write(append(bytes.TrimSpace(data), '\n'))
		return err
	}
	return printPredictions(stdout, data, c.devices)
}

// request builds the request body: MLRun V2 device rows, MLRun V2 value rows, OIP tensors (one per
// named column) or the file as is when it is already a request.
func (c *inferConfig) request() ([]byte, error) {
	req := map[string]any{}
	if c.ID != "" {
		req["id"] = c.ID
	}
	if c.Sticky {
		req["parameters"] = map[string]any{"sticky": true}
	}
	if len(c.devices) > 0 {
		rows := make([][]string, len(c.devices))
		for i, d := range c.devices {
			rows[i] = []string{d}
		}
		req["inputs"] = rows
		return json.Marshal(req)
	}
	var data []byte
	var err error
	if c.Rows == "-" {
		data, err = io.ReadAll(inferStdin)
	} else {
		data, err = os.ReadFile(c.Rows)
	}
	if err != nil {
		return nil, fmt.Errorf("rows: %w", err)
	}
	var whole map[string]json.RawMessage
	if json.Unmarshal(data, &whole) == nil {
		if _, ok := whole["inputs"]; !ok {
			return nil, errors.New(`rows: a JSON object must be a request with "inputs"`)
		}
		return data, nil
	}
	var values [][]float64
	if err := json.Unmarshal(data, &values); err == nil {
		req["inputs"] = values
		return json.Marshal(req)
	}
	var records []map[string]float64
	if err := json.Unmarshal(data, &records); err != nil || len(records) == 0 {
		return nil, errors.New("rows: want [[f1, f2, …], …], [{\"feature\": value, …}, …] or {\"inputs\": …}")
	}
	var names []string
	for n := range records[0] {
		names = append(names, n)
	}
	slices.Sort(names)
	var tensors []map[string]any
	for _, n := range names {
		col := make([]float64, len(records))
		for i, r := range records {
			v, ok := r[n]
			if !ok {
				return nil, fmt.Errorf("rows: record %d lacks %q", i, n)
			}
			col[i] = v
		}
		tensors = append(tensors, map[string]any{"name": n, "shape": []int{len(col)}, "datatype": "FP64", "data": col})
	}
	req["inputs"] = tensors
	return json.Marshal(req)
}

// printPredictions prints an OIP or MLRun V2 response as a table, naming the rows after names
// (the device ids) when given, else numbering them.
func printPredictions(w io.Writer, data []byte, names []string) error {
	var resp struct {
		Model   string          `json:"model_name"`
		Version string          `json:"model_version"`
		ID      string          `json:"id"`
		Outputs json.RawMessage `json:"outputs"`
		Labels  []bool          `json:"labels"`
		Imputed int             `json:"imputed"`
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		return fmt.Errorf("response: %w", err)
	}
	var p []float64
	if json.Unmarshal(resp.Outputs, &p) != nil {
		var tensors []struct {
			Name string          `json:"name"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(resp.Outputs, &tensors); err != nil {
			return fmt.Errorf("response outputs: %w", err)
		}
		for _, t := range tensors {
			switch t.Name {
			case "probability":
				_ = json.Unmarshal(t.Data, &p)
			case "label":
				_ = json.Unmarshal(t.Data, &resp.Labels)
			}
		}
	}
	fmt.Fprintf(w, "model %s  version %s  id %s", resp.Model, resp.Version, resp.ID)
	if resp.Imputed > 0 {
		fmt.Fprintf(w, "  (%d rows imputed with training means: no online features yet)", resp.Imputed)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROW\tPROBABILITY\tLABEL")
	for i, v := range p {
		name := fmt.Sprint(i)
		if i < len(names) {
			name = names[i]
		}
		label := ""
		if i < len(resp.Labels) {
			label = fmt.Sprint(resp.Labels[i])
		}
		fmt.Fprintf(tw, "%s\t%.6f\t%s\n", name, v, label)
	}
	return tw.Flush()
}
