package registry

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/drift"
	"github.com/netopsfn/netops/internal/testenv"
)

func TestRegistry(t *testing.T) {
	for name, store := range testenv.Stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			r := New(store)
			ref, err := drift.NewReference([]float64{1, 2, 3, 4})
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= 2; i++ {
				card := &Card{Name: "netops", Kind: "gbt", Features: []string{"a"}, Metrics: map[string]float64{"f1": 0.5 + float64(i)/10},
					Reference: map[string]drift.Reference{"a": ref}}
				v, err := r.Register(ctx, card, []byte(`{"format":"netops-model"}`), map[string][]byte{"roc.svg": []byte("<svg/>")})
				if err != nil || v != i || card.Version != i {
					t.Fatalf("register %d: v%d, %v", i, v, err)
				}
			}
			if vs, _ := r.Versions(ctx, "netops"); len(vs) != 2 || vs[1] != 2 {
				t.Fatalf("versions %v", vs)
			}
			c, err := r.Card(ctx, "netops", 2)
			if err != nil || c.Metrics["f1"] != 0.7 || c.Reference["a"].Count != 4 || len(c.Artifacts) != 1 || c.CreatedAt.IsZero() {
				t.Fatalf("card %+v, %v", c, err)
			}
			if a, err := r.Artifact(ctx, "netops", 2, "roc.svg"); err != nil || string(a) != "<svg/>" {
				t.Fatalf("artifact %q %v", a, err)
			}
			if err := r.SetAlias(ctx, "netops", "champion", 1); err != nil {
				t.Fatal(err)
			}
			if err := r.SetAlias(ctx, "netops", "challenger", 2); err != nil {
				t.Fatal(err)
			}
			if v, err := r.Resolve(ctx, "netops", "champion"); err != nil || v != 1 {
				t.Fatalf("champion = %d, %v", v, err)
			}
			if err := r.SetAlias(ctx, "netops", "champion", 9); !errors.Is(err, ErrNotFound) {
				t.Fatalf("alias to a missing version: %v", err)
			}
			if err := r.SetAlias(ctx, "netops", "challenger", 0); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Resolve(ctx, "netops", "challenger"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("removed alias: %v", err)
			}
			if err := r.SetAlias(ctx, "netops", "champion", 2, "better f1"); err != nil {
				t.Fatal(err)
			}
			if v, err := r.Rollback(ctx, "netops", "champion"); err != nil || v != 1 {
				t.Fatalf("rollback = %d, %v", v, err)
			}
			if v, _ := r.Resolve(ctx, "netops", "champion"); v != 1 {
				t.Fatalf("champion after rollback = %d", v)
			}
			h, _ := r.History(ctx, "netops")
			if len(h) != 5 || h[3].Reason != "better f1" || h[4].Version != 1 || h[4].Previous != 2 || !strings.Contains(h[4].Reason, "rollback") {
				t.Fatalf("history %+v", h)
			}
			if _, err := r.Rollback(ctx, "netops", "shadow"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("rollback of an unset alias: %v", err)
			}
			if m, _ := r.Models(ctx); len(m) != 1 || m[0] != "netops" {
				t.Fatalf("models %v", m)
			}
		})
	}
}

func TestHalfRegisteredVersionIsNotAVersion(t *testing.T) {
	ctx := context.Background()
	store, _ := blob.NewFile(t.TempDir())
	r := New(store)
	// A crash after the model but before the card: v1 does not exist and its number is reused.
	if err := blob.PutBytes(ctx, store, "models/m/v1/model.json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if vs, _ := r.Versions(ctx, "m"); len(vs) != 0 {
		t.Fatalf("versions %v", vs)
	}
	v, err := r.Register(ctx, &Card{Name: "m"}, []byte("{}"), nil)
	if err != nil || v != 1 {
		t.Fatalf("v%d %v", v, err)
	}
}

func TestNames(t *testing.T) {
	r := New(nil)
	for _, bad := range []string{"", "Netops", "../x", "a/b", strings.Repeat("a", 64), "-x"} {
		if _, err := r.Versions(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "invalid name") {
			t.Errorf("name %q: %v", bad, err)
		}
	}
	store, _ := blob.NewFile(t.TempDir())
	if _, err := New(store).Register(context.Background(), &Card{Name: "ok"}, nil, map[string][]byte{"card.json": nil}); err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("reserved artifact name: %v", err)
	}
}
