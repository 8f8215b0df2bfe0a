package inmemory

import (
	"encoding/json"
	"unicode"
	"unicode/utf8"

	"github.com/aws/smithy-go/middleware"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsraw"
)

// withAPIBody keeps, as awsraw would from a real response, the response body
// in the ECS API's JSON shape: ECS's member names are the SDK's field names
// in lowerCamelCase, so the typed output marshalled and renamed is the body
// ECS would have sent (timestamps as RFC 3339 strings rather than epoch
// seconds — no step reads them).
func withAPIBody(md *middleware.Metadata, out any) {
	b, err := json.Marshal(out)
	if err != nil {
		return
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return
	}
	v = apiNames(v)
	if m, ok := v.(map[string]any); ok {
		delete(m, "resultMetadata")
	}
	if body, err := json.Marshal(v); err == nil {
		awsraw.WithBody(md, body)
	}
}

// apiNames renames the members of a marshalled SDK value to lowerCamelCase
// and drops the nulls and the SDK's noSmithyDocumentSerde markers.
func apiNames(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if val == nil || k == "ResultMetadata" {
				continue
			}
			out[lowerFirst(k)] = apiNames(val)
		}
		return out
	case []any:
		for i := range x {
			x[i] = apiNames(x[i])
		}
		return x
	}
	return v
}

func lowerFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[size:]
}

// withServicesBody is withAPIBody for DescribeServices: each service's
// world configuration (WorldService.Configuration) is merged into its JSON,
// over what the typed output says.
func withServicesBody(md *middleware.Metadata, out any, configs []map[string]json.RawMessage) {
	withAPIBody(md, out)
	body := awsraw.Body(*md)
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil {
		return
	}
	var services []map[string]json.RawMessage
	if json.Unmarshal(doc["services"], &services) != nil || len(services) != len(configs) {
		return
	}
	changed := false
	for i, c := range configs {
		for k, v := range c {
			services[i][k] = v
			changed = true
		}
	}
	if !changed {
		return
	}
	if b, err := json.Marshal(services); err == nil {
		doc["services"] = b
		if b, err := json.Marshal(doc); err == nil {
			awsraw.WithBody(md, b)
		}
	}
}
