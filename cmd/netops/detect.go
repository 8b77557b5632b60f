package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/netopsfn/netops/functions/driftdetectors"
	"github.com/netopsfn/netops/internal/config"
	"github.com/netopsfn/netops/internal/detect"
)

type detectConfig struct {
	Method string `flag:"method" env:"DETECT_METHOD" default:"" help:"detector: ddm, eddm, ph (page_hinkley), adwin, hddm_a or hddm_w (required)"`
	Input  string `flag:"input" env:"DETECT_INPUT" default:"-" help:"file of values, one per line (blank lines skipped); - reads stdin"`
	kind   string
}

func (c *detectConfig) Validate() error {
	if c.Method == "" {
		return errors.New("method: required (ddm, eddm, ph, adwin, hddm_a or hddm_w)")
	}
	kind, err := driftdetectors.Kind(c.Method)
	if err != nil {
		return fmt.Errorf("method: %w", err)
	}
	c.kind = kind
	return nil
}

// paramList is a repeatable --param name=value flag; one value may also hold several,
// comma-separated.
type paramList []string

func (p *paramList) String() string { return strings.Join(*p, ",") }

func (p *paramList) Set(s string) error {
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv != "" {
			*p = append(*p, kv)
		}
	}
	return nil
}

// cmdDetect runs one streaming drift detector over a file of values and prints a JSON line per
// observation that is in the warning zone or completes a change.
func cmdDetect(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("detect", "Runs a streaming drift detector (scikit-multiflow 0.4.1 semantics, its default parameters\n"+
		"unless --param says otherwise) over one value per line and prints one JSON line per observation\n"+
		"in the warning zone and per detected change: {\"index\": i, \"kind\": \"warning\"|\"change\"}, where i is\n"+
		"the 0-based position among the values. ddm and eddm take 0/1 (1 = the model was wrong), hddm_a\n"+
		"and hddm_w values in [0, 1], ph and adwin any finite number.", stdout)
	var params paramList
	fs.Var(&params, "param", "detector parameter name=value, repeatable: min_instances, warning_level, out_control_level, delta, threshold, alpha, drift_confidence, warning_confidence, lambda, one_sided")
	var c detectConfig
	if err := config.Parse(fs, &c, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (values come from --input or stdin)", fs.Arg(0))
	}
	cfg := detect.Config{Kind: c.kind}
	for _, kv := range params {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("param %q: want name=value", kv)
		}
		if err := driftdetectors.SetParam(&cfg, strings.TrimSpace(name), value); err != nil {
			return fmt.Errorf("param %w", err)
		}
	}
	d, err := detect.New(cfg)
	if err != nil {
		var fe *detect.FieldError
		if errors.As(err, &fe) {
			return fmt.Errorf("param %s: %s", fe.Field, fe.Msg)
		}
		return err
	}
	in := io.Reader(os.Stdin)
	if c.Input != "-" {
		f, err := os.Open(c.Input)
		if err != nil {
			return fmt.Errorf("input: %w", err)
		}
		defer f.Close()
		in = f
	}
	return detectStream(ctx, d, in, c.Input, stdout)
}

// detectStream feeds d the values of r, one per line, and writes the JSON lines to w. Errors name
// the line (1-based, blank lines counted) of the input named name.
func detectStream(ctx context.Context, d detect.Detector, r io.Reader, name string, w io.Writer) error {
	if name == "-" {
		name = "stdin"
	}
	out := bufio.NewWriter(w)
	defer out.Flush()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line, index := 0, 0
	var buf []byte
	emit := func(kind string) error {
		buf = append(strconv.AppendInt(append(buf[:0], `{"index": `...), int64(index), 10), `, "kind": "`...)
		buf = append(append(buf, kind...), "\"}\n"...)
		if _, err := out.Write(buf); err != nil {
			return err
		}
		if name == "stdin" { // a pipe may be live: show each line as it happens
			return out.Flush()
		}
		return nil
	}
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%s line %d: %q is not a number", name, line, s)
		}
		if err := d.Add(x); err != nil {
			return fmt.Errorf("%s line %d: %w", name, line, err)
		}
		if d.Warning() {
			if err := emit("warning"); err != nil {
				return err
			}
		}
		if d.Change() {
			if err := emit("change"); err != nil {
				return err
			}
		}
		index++
		if index%65536 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s line %d: %w", name, line+1, err)
	}
	return out.Flush()
}
