package offline

import (
	"encoding/json"
	"fmt"
)

// asffJSON renders a finding the account imported (an SDK value) as ASFF
// JSON: the SDK's field names are ASFF's, so encoding it and dropping the
// fields the finding does not set gives the document Security Hub holds.
func asffJSON(finding any) (json.RawMessage, error) {
	b, err := json.Marshal(finding)
	if err != nil {
		return nil, fmt.Errorf("encode finding: %w", err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	v, _ = prune(v)
	return json.Marshal(v)
}

// prune drops nulls, empty strings, empty objects and empty arrays; it
// reports whether anything is left of v.
func prune(v any) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, false
	case string:
		return x, x != ""
	case map[string]any:
		for k, e := range x {
			if p, ok := prune(e); ok {
				x[k] = p
			} else {
				delete(x, k)
			}
		}
		return x, len(x) > 0
	case []any:
		out := x[:0]
		for _, e := range x {
			if p, ok := prune(e); ok {
				out = append(out, p)
			}
		}
		return out, len(out) > 0
	default:
		return x, true
	}
}
