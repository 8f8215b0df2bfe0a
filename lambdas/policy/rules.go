package policy

import (
	"sort"
	"strings"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// Rule is one rule of a bundle as its METADATA annotation describes it: what
// a report that lists rules (a SARIF tool driver, a rule table) shows.
type Rule struct {
	// ID is custom.id, the stable id findings carry as "rule".
	ID string `json:"id"`
	// Title and Description are the annotation's title and description.
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	// Severity is custom.severity (an ASFF label).
	Severity string `json:"severity"`
	// Controls are custom.controls: what the rule maps to.
	Controls []string `json:"controls"`
	// Remediation is custom.remediation.
	Remediation string `json:"remediation,omitempty"`
	// Platform is custom.platform: any, linux or windows.
	Platform string `json:"platform"`
	// DefaultEnforcement is custom.enforcement (deny, warn or off; warn when
	// the annotation sets none or an invalid level).
	DefaultEnforcement string `json:"defaultEnforcement"`
	// Enforcement is the level that applies with this bundle's data:
	// ecs.config.enforcement[id] when it is a valid level, else
	// DefaultEnforcement — as the decision computes it.
	Enforcement string `json:"enforcement"`
	// File and Row locate the annotation in the bundle.
	File string `json:"file"`
	Row  int    `json:"row"`
}

// Rules returns the rules of a bundle: every METADATA annotation (normally
// a rule package's) whose custom block has an id, ordered by id. When two
// annotations carry the same id, the first in file order wins, as in the
// finding builder (ecs.lib.finding). It does not compile the bundle.
func Rules(files map[string]string) ([]Rule, error) {
	loaded, err := load(files)
	if err != nil {
		return nil, err
	}
	configured := map[string]string{}
	enforcement, _ := lookup(loaded.Documents, "ecs", "config", "enforcement")
	if m, ok := enforcement.(map[string]any); ok {
		for id, v := range m {
			if s, ok := v.(string); ok && validLevel(s) {
				configured[id] = s
			}
		}
	}
	names := make([]string, 0, len(loaded.Modules))
	for name := range loaded.Modules {
		names = append(names, name)
	}
	sort.Strings(names)
	seen := map[string]bool{}
	var out []Rule
	for _, name := range names {
		m := loaded.Modules[name].Parsed
		for _, a := range m.Annotations {
			id, _ := a.Custom["id"].(string)
			if id == "" || seen[id] {
				continue
			}
			seen[id] = true
			r := Rule{
				ID:                 id,
				Title:              a.Title,
				Description:        a.Description,
				Controls:           []string{},
				Platform:           "any",
				DefaultEnforcement: "warn",
				File:               strings.TrimPrefix(name, "/"),
			}
			if a.Location != nil {
				r.Row = a.Location.Row
			}
			r.Severity, _ = a.Custom["severity"].(string)
			r.Remediation, _ = a.Custom["remediation"].(string)
			if p, ok := a.Custom["platform"].(string); ok && p != "" {
				r.Platform = p
			}
			if e, ok := a.Custom["enforcement"].(string); ok && validLevel(e) {
				r.DefaultEnforcement = e
			}
			if list, ok := a.Custom["controls"].([]any); ok {
				for _, c := range list {
					if s, ok := c.(string); ok {
						r.Controls = append(r.Controls, s)
					}
				}
			}
			r.Enforcement = r.DefaultEnforcement
			if level, ok := configured[id]; ok {
				r.Enforcement = level
			}
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Data returns the bundle's data document: every data.json at its folder's
// path, merged as OPA loads them (what the policy reads as data, without the
// rules).
func Data(files map[string]string) (map[string]any, error) {
	loaded, err := load(files)
	if err != nil {
		return nil, err
	}
	return loaded.Documents, nil
}

// load reads the bundle's modules (with their METADATA annotations) and
// data.json files from an in-memory file system, as OPA loads a folder.
func load(files map[string]string) (*loader.Result, error) {
	if len(files) == 0 {
		return nil, step.Errorf(contract.ErrPolicy, "policy bundle has no files")
	}
	fsys := fstest.MapFS{}
	for name, content := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(content), Mode: 0o444}
	}
	loaded, err := loader.NewFileLoader().
		WithFS(fsys).
		WithProcessAnnotation(true).
		WithRegoVersion(ast.RegoV1).
		Filtered([]string{"."}, nil)
	if err != nil {
		return nil, step.Errorf(contract.ErrPolicy, "load policy bundle: %s", flatten(err))
	}
	return loaded, nil
}

// lookup is the value at path in doc; found is false when a member on the
// way is missing or not an object.
func lookup(doc map[string]any, path ...string) (v any, found bool) {
	v = doc
	for _, key := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[key]; !ok {
			return nil, false
		}
	}
	return v, true
}

func validLevel(s string) bool { return s == "deny" || s == "warn" || s == "off" }
