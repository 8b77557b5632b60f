package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/config"
)

// storeConfig is the --store flag the offline commands share.
type storeConfig struct {
	Store string `flag:"store" env:"STORE" default:"file://./.netops/data" help:"object store URL: file:///dir or s3://bucket?endpoint=host:port"`
}

func (s storeConfig) open(ctx context.Context) (blob.Store, error) { return blob.Open(ctx, s.Store) }

// parseWithStore parses a command's flags into cfg and opens the store it names.
func parseWithStore(ctx context.Context, fs *flag.FlagSet, cfg any, store *storeConfig, args []string) (blob.Store, error) {
	if err := config.Parse(fs, cfg, args); err != nil {
		return nil, err
	}
	return store.open(ctx)
}

// timeFlag parses an RFC 3339 flag value into dst; an empty value leaves the zero time unless the
// flag is required. The error names the flag.
func timeFlag(name, value string, required bool, dst *time.Time) error {
	if value == "" {
		if required {
			return fmt.Errorf("%s: required, an RFC 3339 time such as 2026-11-22T00:00:00Z", name)
		}
		*dst = time.Time{}
		return nil
	}
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return fmt.Errorf("%s: %q is not an RFC 3339 time", name, value)
	}
	*dst = t
	return nil
}

// parseInterleaved parses flags that may come before or after the positional arguments and
// returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return pos, nil
}
