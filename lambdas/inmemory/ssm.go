package inmemory

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
)

type parameter struct {
	value    string
	version  int64
	modified time.Time
}

// Parameter Store limits.
const (
	maxParameterName  = 2048
	maxParameterDepth = 15
	maxParameterValue = bundle.MaxFileBytes // Advanced tier
	maxResultsDefault = 10
)

// PutParameter stores a String parameter (overwriting; the version goes up
// by one) and returns its version. Names and values are checked as
// Parameter Store checks them.
func (a *Account) PutParameter(name, value string) (int64, error) {
	if err := checkParameterName(name); err != nil {
		return 0, err
	}
	if value == "" {
		return 0, fmt.Errorf("parameter %s: empty value", name)
	}
	if len(value) > maxParameterValue {
		return 0, fmt.Errorf("parameter %s: value is %d bytes; at most %d", name, len(value), maxParameterValue)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.params == nil {
		a.params = map[string]*parameter{}
	}
	p := a.params[name]
	if p == nil {
		p = &parameter{}
		a.params[name] = p
	}
	p.value, p.modified = value, a.clock().UTC()
	p.version++
	return p.version, nil
}

// SeedPolicy stores each file of a policy bundle as the parameter
// bundle.ParameterName(path, file), as the CDK stack deploys it.
func (a *Account) SeedPolicy(path string, files map[string]string) error {
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("seed policy: path %q does not start with /", path)
	}
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		if _, err := a.PutParameter(bundle.ParameterName(path, f), files[f]); err != nil {
			return fmt.Errorf("seed policy: %w", err)
		}
	}
	return nil
}

func checkParameterName(name string) error {
	switch {
	case !strings.HasPrefix(name, "/") || len(name) < 2:
		return fmt.Errorf("parameter name %q: a hierarchical name starts with /", name)
	case len(name) > maxParameterName:
		return fmt.Errorf("parameter name %q: longer than %d characters", name, maxParameterName)
	case strings.Contains(name, "//") || strings.HasSuffix(name, "/"):
		return fmt.Errorf("parameter name %q: empty path segment", name)
	case strings.Count(name, "/") > maxParameterDepth:
		return fmt.Errorf("parameter name %q: more than %d levels", name, maxParameterDepth)
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "/aws") || strings.HasPrefix(lower, "/ssm") {
		return fmt.Errorf("parameter name %q: the aws and ssm prefixes are reserved", name)
	}
	for _, r := range name {
		if !(r == '/' || r == '.' || r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return fmt.Errorf("parameter name %q: %q is not allowed", name, r)
		}
	}
	return nil
}

func ssmValidation(op, msg string) error {
	return opError(serviceSSM, op, &smithy.GenericAPIError{Code: "ValidationException", Message: msg, Fault: smithy.FaultClient})
}

// GetParametersByPath returns the parameters under a path, in name order,
// MaxResults (1–10, default 10) at a time with a NextToken; Recursive takes
// every level below the path, otherwise only the level right under it.
func (a *Account) GetParametersByPath(ctx context.Context, in *ssm.GetParametersByPathInput, _ ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error) {
	const op = "GetParametersByPath"
	if in == nil || in.Path == nil {
		return nil, paramsError(serviceSSM, op, "GetParametersByPathInput", "Path")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	path := *in.Path
	key := fmt.Sprintf("%s\x00%v\x00%d\x00%s", path, aws.ToBool(in.Recursive), aws.ToInt32(in.MaxResults), aws.ToString(in.NextToken))
	if err := a.begin(ctx, serviceSSM, op, key); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(path, "/") {
		return nil, ssmValidation(op, "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\".")
	}
	limit := int32(maxResultsDefault)
	if in.MaxResults != nil {
		limit = *in.MaxResults
		if limit < 1 || limit > maxResultsDefault {
			return nil, ssmValidation(op, fmt.Sprintf("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10 and greater than or equal to 1", limit))
		}
	}
	after := ""
	if in.NextToken != nil {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err != nil || !strings.HasPrefix(string(b), "after:") {
			return nil, opError(serviceSSM, op, &types.InvalidNextToken{Message: aws.String("The specified token is not valid.")})
		}
		after = strings.TrimPrefix(string(b), "after:")
	}
	prefix := strings.TrimSuffix(path, "/") + "/"
	var names []string
	for name := range a.params {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok || name <= after {
			continue
		}
		if aws.ToBool(in.Recursive) || !strings.Contains(rest, "/") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	out := &ssm.GetParametersByPathOutput{Parameters: []types.Parameter{}}
	for i, name := range names {
		if int32(i) == limit {
			out.NextToken = aws.String(base64.RawURLEncoding.EncodeToString([]byte("after:" + names[i-1])))
			break
		}
		p := a.params[name]
		modified := p.modified
		out.Parameters = append(out.Parameters, types.Parameter{
			Name:             aws.String(name),
			Value:            aws.String(p.value),
			Version:          p.version,
			Type:             types.ParameterTypeString,
			DataType:         aws.String("text"),
			LastModifiedDate: &modified,
			ARN: aws.String(arn.ARN{Partition: a.partition, Service: "ssm", Region: a.region, AccountID: a.account,
				Resource: "parameter/" + strings.TrimPrefix(name, "/")}.String()),
		})
	}
	return out, nil
}

// Parameter returns a parameter's value and version (tests, the executor).
func (a *Account) Parameter(name string) (value string, version int64, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.params[name]
	if p == nil {
		return "", 0, false
	}
	return p.value, p.version, true
}
