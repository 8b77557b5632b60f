package driftdetectors

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/netopsfn/netops/internal/detect"
	"github.com/netopsfn/netops/internal/registry"
)

// Config is the drift detectors' own configuration; the runtime's (NATS, store, retries) is
// function.Config.
type Config struct {
	// StateBucket is the KV bucket of the detectors' state, one key per model version.
	StateBucket string `flag:"state-bucket" env:"DRIFT_DETECTORS_STATE_BUCKET" default:"drift-detectors-state" help:"KV bucket of the detectors' state, one key <model>.v<version>"`
	// Detectors are the detectors every model runs unless DetectorsFile lists it.
	Detectors []string `flag:"detectors" env:"DRIFT_DETECTORS" default:"ddm,eddm,ph,adwin" help:"detectors run on every model's error stream: ddm, eddm, ph (page_hinkley), adwin, hddm_a, hddm_w"`
	// Params set detector parameters, on top of the demo's defaults (ph.threshold=10).
	Params []string `flag:"params" env:"DRIFT_DETECTORS_PARAMS" default:"" help:"detector parameters [<model>.]<detector>.<param>=<value>, comma-separated, e.g. ph.threshold=20,netops.ddm.warning_level=2.5; on top of the demo's defaults (ddm 2/3, ph.threshold=10, adwin.delta=0.002)"`
	// DetectorsFile lists the detectors of some models in YAML or JSON; see the package doc.
	DetectorsFile string `flag:"detectors-file" env:"DRIFT_DETECTORS_FILE" default:"" help:"YAML or JSON file {models: {<model>: [{kind: ddm, warning_level: 2}, …]}}; a model it lists runs exactly those detectors"`
	// Warmup feeds each new model version's detectors its card's test-set error stream first.
	Warmup bool `flag:"warmup" env:"DRIFT_DETECTORS_WARMUP" default:"true" help:"warm detectors up on the model card's test-set error stream (min_instances = its length), as the original demo did"`
	// History is how many applied batch ids each model version's state remembers, so that a
	// redelivered batch is not fed twice.
	History int `flag:"applied-history" env:"DRIFT_DETECTORS_APPLIED_HISTORY" default:"256" help:"batch ids remembered per model version to recognise redeliveries"`

	plan *plan // resolved by Validate
}

// plan is the resolved detector configuration: the set every model runs and the models with
// their own.
type plan struct {
	base   []detect.Config
	models map[string][]detect.Config
}

// forModel returns the detectors model runs, in their configured order.
func (p *plan) forModel(model string) []detect.Config {
	if cfgs, ok := p.models[model]; ok {
		return cfgs
	}
	return p.base
}

// demoDefaults are the original demo's settings where they differ from scikit-multiflow's.
var demoDefaults = map[string]detect.Config{
	detect.KindPageHinkley: {Kind: detect.KindPageHinkley, Threshold: 10},
}

var bucketName = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// Validate checks the configuration and resolves the detectors of every model (reading
// DetectorsFile); each error names its flag.
func (c *Config) Validate() error {
	var errs []error
	if !bucketName.MatchString(c.StateBucket) {
		errs = append(errs, fmt.Errorf("state-bucket: %q is not a KV bucket name (letters, digits, - and _)", c.StateBucket))
	}
	if c.History < 1 || c.History > 100_000 {
		errs = append(errs, fmt.Errorf("applied-history: %d, want 1..100000", c.History))
	}
	p, err := c.resolve()
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	c.plan = p
	return nil
}

// resolve builds the plan from Detectors, Params and DetectorsFile.
func (c *Config) resolve() (*plan, error) {
	p := &plan{models: map[string][]detect.Config{}}
	for _, name := range c.Detectors {
		kind, err := Kind(name)
		if err != nil {
			return nil, fmt.Errorf("detectors: %w", err)
		}
		if slices.ContainsFunc(p.base, func(d detect.Config) bool { return d.Kind == kind }) {
			return nil, fmt.Errorf("detectors: %s listed twice", kind)
		}
		p.base = append(p.base, demoDefaults[kind])
		p.base[len(p.base)-1].Kind = kind
	}
	if len(p.base) == 0 {
		return nil, errors.New("detectors: at least one detector required")
	}
	var file map[string][]detect.Config
	if c.DetectorsFile != "" {
		var err error
		if file, err = readDetectorsFile(c.DetectorsFile); err != nil {
			return nil, fmt.Errorf("detectors-file: %w", err)
		}
	}
	// Parameters for all models first, then per model, so the order on the command line does not
	// matter and a model's own value wins.
	for _, perModel := range []bool{false, true} {
		for _, kv := range c.Params {
			model, kind, name, value, err := splitParam(kv)
			if err != nil {
				return nil, fmt.Errorf("params: %w", err)
			}
			if (model != "") != perModel {
				continue
			}
			if err := p.set(model, kind, name, value, file); err != nil {
				return nil, fmt.Errorf("params: %q: %w", kv, err)
			}
		}
	}
	for model, cfgs := range file {
		p.models[model] = cfgs
	}
	for model, cfgs := range p.models {
		for _, d := range cfgs {
			if err := d.Validate(); err != nil {
				return nil, fmt.Errorf("params: model %s: %s: %w", model, d.Kind, err)
			}
		}
	}
	for _, d := range p.base {
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("params: %s: %w", d.Kind, err)
		}
	}
	return p, nil
}

// set applies one parameter to the base set (model "") or to model's own copy of it.
func (p *plan) set(model, kind, name, value string, file map[string][]detect.Config) error {
	set := p.base
	if model != "" {
		if _, ok := file[model]; ok {
			return fmt.Errorf("model %s is configured in detectors-file; set its parameters there", model)
		}
		if _, ok := p.models[model]; !ok {
			p.models[model] = slices.Clone(p.base)
		}
		set = p.models[model]
	}
	i := slices.IndexFunc(set, func(d detect.Config) bool { return d.Kind == kind })
	if i < 0 {
		return fmt.Errorf("detector %s is not in detectors", kind)
	}
	return SetParam(&set[i], name, value)
}

// splitParam splits [<model>.]<detector>.<param>=<value>.
func splitParam(s string) (model, kind, name, value string, err error) {
	key, value, ok := strings.Cut(s, "=")
	if !ok || value == "" {
		return "", "", "", "", fmt.Errorf("%q: want [<model>.]<detector>.<param>=<value>", s)
	}
	parts := strings.Split(key, ".")
	switch len(parts) {
	case 2:
		kind, name = parts[0], parts[1]
	case 3:
		model, kind, name = parts[0], parts[1], parts[2]
		if err := registry.ValidName(model); err != nil {
			return "", "", "", "", fmt.Errorf("%q: %w", s, err)
		}
	default:
		return "", "", "", "", fmt.Errorf("%q: want [<model>.]<detector>.<param>=<value>", s)
	}
	if kind, err = Kind(kind); err != nil {
		return "", "", "", "", fmt.Errorf("%q: %w", s, err)
	}
	return model, kind, name, value, nil
}

// Kind returns the detector kind (one of detect.Kinds) a name stands for; "ph" is short for
// page_hinkley.
func Kind(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "ph", "pagehinkley", "page-hinkley":
		return detect.KindPageHinkley, nil
	case "hddm-a":
		return detect.KindHDDMA, nil
	case "hddm-w":
		return detect.KindHDDMW, nil
	}
	if slices.Contains(detect.Kinds, n) {
		return n, nil
	}
	return "", fmt.Errorf("unknown detector %q (want ddm, eddm, ph, adwin, hddm_a or hddm_w)", name)
}

// SetParam sets the parameter name (a detect.Config field by its configuration name, such as
// warning_level or threshold) of c from its text value. It does not check that c's kind uses
// the parameter; detect.Config.Validate does.
func SetParam(c *detect.Config, name, value string) error {
	value = strings.TrimSpace(value)
	num := func(dst *float64) error {
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return fmt.Errorf("%s: %q is not a number", name, value)
		}
		*dst = v
		return nil
	}
	switch name {
	case "min_instances":
		n, err := strconv.Atoi(value)
		if err != nil {
			return fmt.Errorf("%s: %q is not an integer", name, value)
		}
		c.MinInstances = n
		return nil
	case "warning_level":
		return num(&c.WarningLevel)
	case "out_control_level":
		return num(&c.OutControlLevel)
	case "delta":
		return num(&c.Delta)
	case "threshold":
		return num(&c.Threshold)
	case "alpha":
		return num(&c.Alpha)
	case "drift_confidence":
		return num(&c.DriftConfidence)
	case "warning_confidence":
		return num(&c.WarningConfidence)
	case "lambda":
		return num(&c.Lambda)
	case "one_sided":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("%s: %q is not true or false", name, value)
		}
		c.OneSided = b
		return nil
	}
	return fmt.Errorf("unknown parameter %q (want min_instances, warning_level, out_control_level, delta, threshold, alpha, drift_confidence, warning_confidence, lambda or one_sided)", name)
}

// detectorsFile is the YAML/JSON file of DetectorsFile.
type detectorsFile struct {
	Models map[string][]detect.Config `yaml:"models"`
}

// readDetectorsFile reads and checks the file: each listed model's detectors, validated.
func readDetectorsFile(path string) (map[string][]detect.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f detectorsFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for model, cfgs := range f.Models {
		if err := registry.ValidName(model); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(cfgs) == 0 {
			return nil, fmt.Errorf("%s: model %s: no detectors", path, model)
		}
		for i := range cfgs {
			kind, err := Kind(cfgs[i].Kind)
			if err != nil {
				return nil, fmt.Errorf("%s: model %s: detector %d: %w", path, model, i+1, err)
			}
			cfgs[i].Kind = kind
			if slices.ContainsFunc(cfgs[:i], func(d detect.Config) bool { return d.Kind == kind }) {
				return nil, fmt.Errorf("%s: model %s: %s listed twice", path, model, kind)
			}
			if err := cfgs[i].Validate(); err != nil {
				return nil, fmt.Errorf("%s: model %s: %s: %w", path, model, kind, err)
			}
		}
	}
	return f.Models, nil
}
