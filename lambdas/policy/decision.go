package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

// severities are the ASFF severity labels a violation may carry.
var severities = []string{
	contract.SeverityCritical,
	contract.SeverityHigh,
	contract.SeverityMedium,
	contract.SeverityLow,
	contract.SeverityInformational,
}

func validSeverity(s string) bool { return slices.Contains(severities, s) }

// parseDecision checks the shape of data.ecs.compliance.decision and converts
// it. Anything the rest of the workflow relies on is checked, so that a
// policy mistake is an error here rather than a wrong remediation later.
func parseDecision(v any) (*contract.Decision, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is %s, not an object {compliant, violations, warnings, exempted}", DecisionQuery, kind(v))
	}
	compliant, ok := obj["compliant"].(bool)
	if !ok {
		return nil, fmt.Errorf("%s.compliant is %s, not a boolean", DecisionQuery, kindOf(obj, "compliant"))
	}
	d := &contract.Decision{Compliant: compliant}
	for _, list := range []struct {
		name     string
		dst      *[]contract.Violation
		exempted bool
	}{
		{"violations", &d.Violations, false},
		{"warnings", &d.Warnings, false},
		{"exempted", &d.Exempted, true},
	} {
		items, ok := obj[list.name].([]any)
		if !ok {
			return nil, fmt.Errorf("%s.%s is %s, not a list", DecisionQuery, list.name, kindOf(obj, list.name))
		}
		*list.dst = make([]contract.Violation, 0, len(items))
		for i, item := range items {
			vi, err := parseViolation(list.name, i, item, list.exempted)
			if err != nil {
				return nil, err
			}
			*list.dst = append(*list.dst, vi)
		}
	}
	if compliant != (len(d.Violations) == 0) {
		return nil, fmt.Errorf("%s is inconsistent: compliant is %t with %d violation(s); compliant must mean no violation",
			DecisionQuery, compliant, len(d.Violations))
	}
	return d, nil
}

// parseViolation converts item i of the decision's list; its path
// (data.ecs.compliance.decision.LIST[i]) is formatted only for an error.
func parseViolation(list string, i int, v any, exempted bool) (contract.Violation, error) {
	path := func() string { return fmt.Sprintf("%s.%s[%d]", DecisionQuery, list, i) }
	obj, ok := v.(map[string]any)
	if !ok {
		return contract.Violation{}, fmt.Errorf("%s is %s, not an object", path(), kind(v))
	}
	var vi contract.Violation
	var err error
	field := func(name string, required bool) string {
		if err != nil {
			return ""
		}
		raw, present := obj[name]
		if !present {
			if required {
				err = fmt.Errorf("%s has no %s", path(), name)
			}
			return ""
		}
		s, ok := raw.(string)
		if !ok {
			err = fmt.Errorf("%s.%s is %s, not a string", path(), name, kind(raw))
		}
		return s
	}
	vi.Rule = field("rule", true)
	vi.Severity = field("severity", true)
	vi.Title = field("title", false)
	vi.Container = field("container", false)
	vi.Message = field("message", false)
	vi.Remediation = field("remediation", false)
	vi.Enforcement = field("enforcement", false)
	if err != nil {
		return contract.Violation{}, err
	}
	if vi.Rule == "" {
		return contract.Violation{}, fmt.Errorf("%s.rule is empty", path())
	}
	if !validSeverity(vi.Severity) {
		return contract.Violation{}, fmt.Errorf("%s.severity is %q (rule %s); allowed: %s",
			path(), vi.Severity, vi.Rule, strings.Join(severities, ", "))
	}
	if vi.Enforcement != "" && vi.Enforcement != "deny" && vi.Enforcement != "warn" {
		return contract.Violation{}, fmt.Errorf("%s.enforcement is %q (rule %s); allowed: deny, warn", path(), vi.Enforcement, vi.Rule)
	}
	vi.Controls = []string{}
	if raw, present := obj["controls"]; present {
		list, ok := raw.([]any)
		if !ok {
			return contract.Violation{}, fmt.Errorf("%s.controls is %s, not a list of strings", path(), kind(raw))
		}
		for i, c := range list {
			s, ok := c.(string)
			if !ok {
				return contract.Violation{}, fmt.Errorf("%s.controls[%d] is %s, not a string", path(), i, kind(c))
			}
			vi.Controls = append(vi.Controls, s)
		}
	}
	raw, present := obj["exemption"]
	switch {
	case exempted && !present:
		return contract.Violation{}, fmt.Errorf("%s has no exemption (an exempted item must say which exemption covers it)", path())
	case present:
		ex, ok := raw.(map[string]any)
		if !ok {
			return contract.Violation{}, fmt.Errorf("%s.exemption is %s, not an object {reason, expires}", path(), kind(raw))
		}
		reason, ok1 := ex["reason"].(string)
		expires, ok2 := ex["expires"].(string)
		if _, has := ex["expires"]; !has {
			ok2 = true
		}
		if !ok1 || !ok2 {
			return contract.Violation{}, fmt.Errorf("%s.exemption must be {reason: string, expires: string}", path())
		}
		vi.Exemption = &contract.Exemption{Reason: reason, Expires: expires}
	}
	return vi, nil
}

func kindOf(obj map[string]any, key string) string {
	v, ok := obj[key]
	if !ok {
		return "missing"
	}
	return kind(v)
}

func kind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("a boolean (%t)", x)
	case string:
		return fmt.Sprintf("a string (%q)", x)
	case json.Number, float64, int:
		return fmt.Sprintf("a number (%v)", x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", v)
	}
}
