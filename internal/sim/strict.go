package sim

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// checkFields walks a YAML node against the Go value it will be decoded into and reports, by its
// dotted path (metrics.latency.sigmaa), the first mapping key that names no field or value of the
// wrong type. It gives up, returning nil, after visiting maxVisits nodes: aliases can make a small
// document a huge tree.
func checkFields(n *yaml.Node, into any) error {
	budget := maxVisits
	return checkNode(n, reflect.TypeOf(into), "", &budget)
}

const maxVisits = 100_000

func checkNode(n *yaml.Node, t reflect.Type, path string, budget *int) error {
	if *budget--; *budget < 0 {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if err := checkNode(c, t, path, budget); err != nil {
				return err
			}
		}
	case yaml.AliasNode:
		if n.Alias != nil {
			return checkNode(n.Alias, t, path, budget)
		}
	case yaml.ScalarNode:
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			msg := err.Error()
			if te, ok := err.(*yaml.TypeError); ok {
				msg = strings.Join(te.Errors, "; ")
			}
			return &FieldError{Field: orRoot(path), Msg: msg}
		}
	case yaml.SequenceNode:
		if t.Kind() != reflect.Slice {
			return &FieldError{Field: orRoot(path), Msg: fmt.Sprintf("line %d: got a sequence, want %s", n.Line, t)}
		}
		for i, c := range n.Content {
			if err := checkNode(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), budget); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		if t.Kind() != reflect.Struct || t == timeType {
			return &FieldError{Field: orRoot(path), Msg: fmt.Sprintf("line %d: got a mapping, want %s", n.Line, t)}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" {
				if err := checkNode(v, t, path, budget); err != nil {
					return err
				}
				continue
			}
			p := joinPath(path, k.Value)
			f, ok := fieldByTag(t, k.Value)
			if !ok {
				return &FieldError{Field: p, Msg: fmt.Sprintf("unknown field (line %d)", k.Line)}
			}
			if err := checkNode(v, f.Type, p, budget); err != nil {
				return err
			}
		}
	}
	return nil
}

var timeType = reflect.TypeFor[time.Time]()

// fieldByTag finds the struct field whose yaml tag name is name.
func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == name && f.IsExported() {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func orRoot(path string) string {
	if path == "" {
		return "(root)"
	}
	return path
}
