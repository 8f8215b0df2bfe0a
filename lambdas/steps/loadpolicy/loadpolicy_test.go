package loadpolicy_test

// Loading, checking and hashing the bundle is policystore.Load's, tested
// there (pages, paths, limits, SSM errors, the real client); these tests
// cover what the step adds: its settings reach Load, and the bundle comes
// back as $.evaluation.

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/loadpolicy"
)

// fakeSSM answers GetParametersByPath with the parameters under the path,
// in one page.
type fakeSSM struct {
	params map[string]string
	err    error
	paths  []string
}

func (f *fakeSSM) GetParametersByPath(_ context.Context, in *ssm.GetParametersByPathInput, _ ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error) {
	f.paths = append(f.paths, aws.ToString(in.Path))
	if f.err != nil {
		return nil, f.err
	}
	out := &ssm.GetParametersByPathOutput{}
	for n, v := range f.params {
		if strings.HasPrefix(n, aws.ToString(in.Path)+"/") {
			out.Parameters = append(out.Parameters, types.Parameter{Name: aws.String(n), Value: aws.String(v), Version: 1})
		}
	}
	return out, nil
}

func TestHandle(t *testing.T) {
	files := map[string]string{"data.json": "{}", "ecs/compliance/decision.rego": "package ecs.compliance\n"}
	params := func(path string) map[string]string {
		ps := map[string]string{}
		for f, v := range files {
			ps[bundle.ParameterName(path, f)] = v
		}
		return ps
	}
	cases := []struct {
		name     string
		h        loadpolicy.Handler
		fake     *fakeSSM
		wantPath string
		wantErr  string
	}{
		{"the default path", loadpolicy.Handler{}, &fakeSSM{params: params(bundle.DefaultPath)}, bundle.DefaultPath, ""},
		{"the configured path", loadpolicy.Handler{Path: "/team/policy"}, &fakeSSM{params: params("/team/policy")}, "/team/policy", ""},
		{"the configured limit", loadpolicy.Handler{MaxBytes: 100}, &fakeSSM{params: params(bundle.DefaultPath)}, bundle.DefaultPath, contract.ErrPolicy},
		{"Load's error as it is", loadpolicy.Handler{}, &fakeSSM{err: &smithy.GenericAPIError{Code: "ThrottlingException", Fault: smithy.FaultClient}},
			bundle.DefaultPath, contract.ErrTransient},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.h
			h.SSM = tc.fake
			got, err := h.Handle(context.Background(), contract.State{})
			if len(tc.fake.paths) != 1 || tc.fake.paths[0] != tc.wantPath {
				t.Errorf("read %v, want %s", tc.fake.paths, tc.wantPath)
			}
			if tc.wantErr != "" {
				if step.Name(err) != tc.wantErr {
					t.Fatalf("err = %v (%s), want %s", err, step.Name(err), tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Policy.Path != tc.wantPath || got.Policy.Hash != bundle.Hash(files) || len(got.Policy.Files) != len(files) {
				t.Fatalf("bundle %+v; want the files under %s", got.Policy, tc.wantPath)
			}
			if got.Decision != nil || got.Outcome != "" || got.Mode != "" {
				t.Fatalf("load policy must only fill the bundle: %+v", got)
			}
		})
	}
}
