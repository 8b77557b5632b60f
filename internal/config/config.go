// Package config binds a configuration struct to command-line flags and NETOPS_* environment
// variables from its field tags, so every function's configuration is declared once and its help,
// defaults and validation come from that declaration.
//
// A field takes part when it has a flag tag:
//
//	Port int `flag:"port" env:"PORT" default:"8080" help:"HTTP port"`
//
// Precedence: a flag given on the command line, then the environment variable, then the default.
// A rawenv tag names a conventional variable without the prefix (PORT, as OpenFaaS and Knative
// set it) that applies when the NETOPS_ one is unset.
// Supported kinds: string, bool, int, int64, float64, time.Duration and []string (comma-separated).
// Nested structs are walked, so a function config can embed the shared runtime config.
package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Validator is implemented by configs that check their values after binding.
type Validator interface {
	Validate() error
}

type field struct {
	flag, env, raw, def, help string
	v                         reflect.Value
}

func fields(ptr any) ([]field, error) {
	rv := reflect.ValueOf(ptr)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("config: want pointer to struct, got %T", ptr)
	}
	var out []field
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			fv := v.Field(i)
			if !sf.IsExported() && !sf.Anonymous {
				continue
			}
			name, ok := sf.Tag.Lookup("flag")
			if !ok {
				if sf.Type.Kind() == reflect.Struct && sf.Type != reflect.TypeOf(time.Time{}) {
					walk(fv)
				}
				continue
			}
			out = append(out, field{flag: name, env: sf.Tag.Get("env"), raw: sf.Tag.Get("rawenv"), def: sf.Tag.Get("default"), help: sf.Tag.Get("help"), v: fv})
		}
	}
	walk(rv.Elem())
	return out, nil
}

// EnvName is the environment variable of a field: NETOPS_ plus its env tag.
func EnvName(tag string) string { return "NETOPS_" + tag }

// Bind sets ptr's defaults and registers a flag per tagged field on fs. After fs.Parse, call Load.
func Bind(fs *flag.FlagSet, ptr any) error {
	fl, err := fields(ptr)
	if err != nil {
		return err
	}
	for _, f := range fl {
		if err := set(f.v, f.def); err != nil {
			return fmt.Errorf("config: default of %s: %w", f.flag, err)
		}
		usage := f.help
		switch {
		case f.env != "" && f.raw != "":
			usage += " (env " + EnvName(f.env) + " or " + f.raw + ")"
		case f.env != "":
			usage += " (env " + EnvName(f.env) + ")"
		}
		fs.Var(value{f.v}, f.flag, usage)
	}
	return nil
}

// Load applies environment variables to the fields whose flags were not given, then validates.
// Errors name the flag or variable that holds the bad value.
func Load(fs *flag.FlagSet, ptr any) error {
	fl, err := fields(ptr)
	if err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, f := range fl {
		if given[f.flag] || f.env == "" {
			continue
		}
		name := EnvName(f.env)
		s, ok := os.LookupEnv(name)
		if !ok && f.raw != "" {
			name = f.raw
			s, ok = os.LookupEnv(name)
		}
		if ok {
			if err := set(f.v, s); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	if v, ok := ptr.(Validator); ok {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("invalid configuration: %w", err)
		}
	}
	return nil
}

// Parse binds, parses args and loads in one step, for commands and tests.
func Parse(fs *flag.FlagSet, ptr any, args []string) error {
	if err := Bind(fs, ptr); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	return Load(fs, ptr)
}

// Defaults fills ptr with its default values only.
func Defaults(ptr any) error {
	return Bind(flag.NewFlagSet("defaults", flag.ContinueOnError), ptr)
}

type value struct{ v reflect.Value }

func (x value) String() string {
	if !x.v.IsValid() {
		return ""
	}
	if x.v.Kind() == reflect.Slice {
		return strings.Join(x.v.Interface().([]string), ",")
	}
	return fmt.Sprint(x.v.Interface())
}

func (x value) Set(s string) error { return set(x.v, s) }

func (x value) IsBoolFlag() bool { return x.v.IsValid() && x.v.Kind() == reflect.Bool }

var durationType = reflect.TypeOf(time.Duration(0))

func set(v reflect.Value, s string) error {
	if v.Type() == durationType {
		if s == "" {
			v.SetInt(0)
			return nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration (e.g. 30s, 5m)", s)
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		if s == "" {
			v.SetBool(false)
			return nil
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		if s == "" {
			v.SetInt(0)
			return nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		v.SetInt(n)
	case reflect.Float64:
		if s == "" {
			v.SetFloat(0)
			return nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		v.SetFloat(f)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String {
			return errors.New("unsupported slice type")
		}
		var parts []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		v.Set(reflect.ValueOf(parts))
	default:
		return fmt.Errorf("unsupported kind %s", v.Kind())
	}
	return nil
}
