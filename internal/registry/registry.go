// Package registry stores model versions and the aliases that point at them, in the object store:
//
//	models/<name>/v<N>/model.json   the serialised model (internal/models format)
//	models/<name>/v<N>/card.json    the model card: features, parameters, training data, test
//	                                metrics, reference statistics for drift monitoring
//	models/<name>/v<N>/<artifact>   plots and tables of the run that produced it
//	models/<name>/aliases.json      {"aliases": {"champion": 3, "challenger": 4}, "history": [...]}
//
// A version exists once its card is written (the card goes last), so a crash mid-registration
// leaves no half version behind: the next registration reuses the number. Registration for one
// model is expected from one writer at a time (the project runner coalesces runs per model).
package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/drift"
)

// ErrNotFound is returned (wrapped) for a model, version or alias that does not exist.
var ErrNotFound = errors.New("not found")

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidName checks a model or alias name: lowercase letters, digits, '-' and '_', at most 63.
func ValidName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("invalid name %q: want lowercase letters, digits, '-' or '_', starting with a letter or digit, at most 63", name)
	}
	return nil
}

// Card describes a model version: what it was trained on, how it tested, and the reference
// statistics drift monitoring compares live data with.
type Card struct {
	Name        string             `json:"name"`
	Version     int                `json:"version"`
	Kind        string             `json:"kind"`
	CreatedAt   time.Time          `json:"created_at"`
	RunID       string             `json:"run_id,omitempty"`
	Features    []string           `json:"features"`
	Params      json.RawMessage    `json:"params,omitempty"`
	Training    Training           `json:"training"`
	Metrics     map[string]float64 `json:"metrics"`
	Threshold   float64            `json:"threshold"`
	Importances map[string]float64 `json:"importances,omitempty"`
	// Reference holds per-feature statistics and 20-bin histograms of the training data, and
	// Prediction those of the predicted probability (SPEC §3, §7).
	Reference  map[string]drift.Reference `json:"reference"`
	Prediction *drift.Reference           `json:"prediction,omitempty"`
	// TestErrors is the model's 0/1 error stream on its test set, in time order: the base stream
	// the drift detectors warm up on.
	TestErrors []uint8  `json:"test_errors,omitempty"`
	Artifacts  []string `json:"artifacts,omitempty"`
}

// Training describes the data a version was trained on.
type Training struct {
	Source       string    `json:"source"`
	Rows         int       `json:"rows"`
	TrainRows    int       `json:"train_rows"`
	ValidRows    int       `json:"validation_rows"`
	TestRows     int       `json:"test_rows"`
	PositiveRate float64   `json:"positive_rate"`
	Split        string    `json:"split"`
	From         time.Time `json:"from,omitzero"`
	To           time.Time `json:"to,omitzero"`
}

// Registry reads and writes model versions in a store.
type Registry struct {
	store blob.Store
}

// New returns the registry kept in store.
func New(store blob.Store) *Registry { return &Registry{store: store} }

func versionPrefix(name string, v int) string { return fmt.Sprintf("models/%s/v%d/", name, v) }

// Versions lists the registered versions of a model, ascending.
func (r *Registry) Versions(ctx context.Context, name string) ([]int, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	infos, err := r.store.List(ctx, "models/"+name+"/v")
	if err != nil {
		return nil, err
	}
	var out []int
	for _, in := range infos {
		rest := strings.TrimPrefix(in.Key, "models/"+name+"/v")
		num, file, ok := strings.Cut(rest, "/")
		if !ok || file != "card.json" {
			continue
		}
		if v, err := strconv.Atoi(num); err == nil && v > 0 {
			out = append(out, v)
		}
	}
	sort.Ints(out)
	return out, nil
}

// Models lists the names of registered models.
func (r *Registry) Models(ctx context.Context) ([]string, error) {
	infos, err := r.store.List(ctx, "models/")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, in := range infos {
		parts := strings.Split(in.Key, "/")
		if len(parts) >= 4 && parts[3] == "card.json" && !seen[parts[1]] {
			seen[parts[1]] = true
			out = append(out, parts[1])
		}
	}
	sort.Strings(out)
	return out, nil
}

// Register stores a new version: artifacts first, then the model, then the card. It sets
// card.Name and card.Version and returns the version number.
func (r *Registry) Register(ctx context.Context, card *Card, model []byte, artifacts map[string][]byte) (int, error) {
	if err := ValidName(card.Name); err != nil {
		return 0, err
	}
	versions, err := r.Versions(ctx, card.Name)
	if err != nil {
		return 0, err
	}
	v := 1
	if len(versions) > 0 {
		v = versions[len(versions)-1] + 1
	}
	card.Version = v
	if card.CreatedAt.IsZero() {
		card.CreatedAt = time.Now().UTC()
	}
	prefix := versionPrefix(card.Name, v)
	names := make([]string, 0, len(artifacts))
	for name := range artifacts {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name == "model.json" || name == "card.json" {
			return 0, fmt.Errorf("artifact %q: reserved name", name)
		}
		if err := blob.PutBytes(ctx, r.store, prefix+name, artifacts[name]); err != nil {
			return 0, fmt.Errorf("register %s v%d: %w", card.Name, v, err)
		}
	}
	card.Artifacts = names
	if err := blob.PutBytes(ctx, r.store, prefix+"model.json", model); err != nil {
		return 0, fmt.Errorf("register %s v%d: %w", card.Name, v, err)
	}
	data, err := json.MarshalIndent(card, "", "  ")
	if err != nil {
		return 0, err
	}
	if err := blob.PutBytes(ctx, r.store, prefix+"card.json", data); err != nil {
		return 0, fmt.Errorf("register %s v%d: %w", card.Name, v, err)
	}
	return v, nil
}

// Card reads a version's card.
func (r *Registry) Card(ctx context.Context, name string, version int) (*Card, error) {
	data, err := r.get(ctx, name, version, "card.json")
	if err != nil {
		return nil, err
	}
	var c Card
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("card of %s v%d: %w", name, version, err)
	}
	return &c, nil
}

// Model reads a version's serialised model.
func (r *Registry) Model(ctx context.Context, name string, version int) ([]byte, error) {
	return r.get(ctx, name, version, "model.json")
}

// Artifact reads one artifact of a version.
func (r *Registry) Artifact(ctx context.Context, name string, version int, artifact string) ([]byte, error) {
	return r.get(ctx, name, version, artifact)
}

func (r *Registry) get(ctx context.Context, name string, version int, file string) ([]byte, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	data, err := blob.GetBytes(ctx, r.store, versionPrefix(name, version)+file)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s v%d %s", ErrNotFound, name, version, file)
	}
	return data, err
}

func aliasesKey(name string) string { return "models/" + name + "/aliases.json" }

// AliasChange is one entry of an alias's history.
type AliasChange struct {
	Alias    string    `json:"alias"`
	Version  int       `json:"version"`  // 0: removed
	Previous int       `json:"previous"` // 0: was unset
	At       time.Time `json:"at"`
	Reason   string    `json:"reason,omitempty"`
}

type aliasFile struct {
	Aliases map[string]int `json:"aliases"`
	History []AliasChange  `json:"history"`
}

func (r *Registry) aliasFile(ctx context.Context, name string) (aliasFile, error) {
	af := aliasFile{Aliases: map[string]int{}}
	if err := ValidName(name); err != nil {
		return af, err
	}
	data, err := blob.GetBytes(ctx, r.store, aliasesKey(name))
	if errors.Is(err, blob.ErrNotFound) {
		return af, nil
	}
	if err != nil {
		return af, err
	}
	if err := json.Unmarshal(data, &af); err != nil {
		return af, fmt.Errorf("aliases of %s: %w", name, err)
	}
	if af.Aliases == nil {
		af.Aliases = map[string]int{}
	}
	return af, nil
}

// Aliases returns a model's aliases (alias → version); empty if none are set.
func (r *Registry) Aliases(ctx context.Context, name string) (map[string]int, error) {
	af, err := r.aliasFile(ctx, name)
	return af.Aliases, err
}

// History returns every change of a model's aliases, oldest first.
func (r *Registry) History(ctx context.Context, name string) ([]AliasChange, error) {
	af, err := r.aliasFile(ctx, name)
	return af.History, err
}

// SetAlias points alias at version (which must exist); version 0 removes the alias. The change
// is appended to the alias history with the reason.
func (r *Registry) SetAlias(ctx context.Context, name, alias string, version int, reason ...string) error {
	if err := ValidName(alias); err != nil {
		return fmt.Errorf("alias: %w", err)
	}
	af, err := r.aliasFile(ctx, name)
	if err != nil {
		return err
	}
	if version != 0 {
		if _, err := r.Card(ctx, name, version); err != nil {
			return err
		}
	}
	prev := af.Aliases[alias]
	if version == 0 {
		delete(af.Aliases, alias)
	} else {
		af.Aliases[alias] = version
	}
	af.History = append(af.History, AliasChange{Alias: alias, Version: version, Previous: prev, At: time.Now().UTC(), Reason: strings.Join(reason, "; ")})
	data, err := json.MarshalIndent(af, "", "  ")
	if err != nil {
		return err
	}
	return blob.PutBytes(ctx, r.store, aliasesKey(name), data)
}

// Rollback points alias back at the version it held before its latest change, and returns it.
func (r *Registry) Rollback(ctx context.Context, name, alias string) (int, error) {
	af, err := r.aliasFile(ctx, name)
	if err != nil {
		return 0, err
	}
	for i := len(af.History) - 1; i >= 0; i-- {
		c := af.History[i]
		if c.Alias != alias {
			continue
		}
		if c.Previous == 0 {
			return 0, fmt.Errorf("%w: alias %q of %s has no earlier version to roll back to", ErrNotFound, alias, name)
		}
		return c.Previous, r.SetAlias(ctx, name, alias, c.Previous, fmt.Sprintf("rollback from v%d", c.Version))
	}
	return 0, fmt.Errorf("%w: alias %q of model %s was never set", ErrNotFound, alias, name)
}

// Resolve returns the version an alias points at.
func (r *Registry) Resolve(ctx context.Context, name, alias string) (int, error) {
	aliases, err := r.Aliases(ctx, name)
	if err != nil {
		return 0, err
	}
	v, ok := aliases[alias]
	if !ok {
		return 0, fmt.Errorf("%w: alias %q of model %s", ErrNotFound, alias, name)
	}
	return v, nil
}
