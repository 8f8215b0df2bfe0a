package loadpolicy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/loadpolicy"
)

// param is a stored parameter.
type param struct {
	value   string
	version int64
}

// fakeSSM answers GetParametersByPath from a map, in name order, in pages of
// MaxResults, recursively or one level down, like Parameter Store.
type fakeSSM struct {
	params map[string]param
	err    error
	inputs []ssm.GetParametersByPathInput
}

func (f *fakeSSM) GetParametersByPath(_ context.Context, in *ssm.GetParametersByPathInput, _ ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error) {
	f.inputs = append(f.inputs, *in)
	if f.err != nil {
		return nil, f.err
	}
	names := matching(f.params, aws.ToString(in.Path), aws.ToBool(in.Recursive))
	start := 0
	if in.NextToken != nil {
		start, _ = strconv.Atoi(*in.NextToken)
	}
	end := min(start+int(aws.ToInt32(in.MaxResults)), len(names))
	out := &ssm.GetParametersByPathOutput{}
	for _, n := range names[start:end] {
		out.Parameters = append(out.Parameters, types.Parameter{Name: aws.String(n), Value: aws.String(f.params[n].value), Version: f.params[n].version})
	}
	if end < len(names) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func matching(params map[string]param, path string, recursive bool) []string {
	prefix := strings.TrimSuffix(path, "/") + "/"
	var names []string
	for n := range params {
		rest, ok := strings.CutPrefix(n, prefix)
		if ok && (recursive || !strings.Contains(rest, "/")) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// policyParams is a bundle of n modules plus data.json under path.
func policyParams(path string, n int) map[string]param {
	ps := map[string]param{
		path + "/data.json": {`{"ecs":{"config":{"registries":[]}}}`, 3},
	}
	for i := range n {
		ps[fmt.Sprintf("%s/rules/r%02d/r%02d.rego", path, i, i)] = param{fmt.Sprintf("package ecs.rules.r%02d\n", i), int64(i + 1)}
	}
	return ps
}

func filesOf(path string, ps map[string]param) map[string]string {
	files := map[string]string{}
	for n, p := range ps {
		files[strings.TrimPrefix(n, path+"/")] = p.value
	}
	return files
}

func TestHandle(t *testing.T) {
	def := bundle.DefaultPath
	cases := []struct {
		name      string
		path      string
		params    map[string]param
		maxBytes  int
		wantPath  string
		wantFiles int
		wantErr   string
		wantMsg   string
	}{
		{"reads every page of a recursive bundle under the default path", "", policyParams(def, 23), 0, def, 24, "", ""},
		{"reads a bundle under a custom path with a trailing slash", "/team/policy/", policyParams("/team/policy", 2), 0, "/team/policy", 3, "", ""},
		{"ignores parameters outside the path", "/team/policy", func() map[string]param {
			ps := policyParams("/team/policy", 1)
			ps["/team/policy-old/x.rego"] = param{"package old", 1}
			ps["/other/data.json"] = param{"{}", 1}
			return ps
		}(), 0, "/team/policy", 2, "", ""},
		{"no parameter under the path is not found and names the path", "/nothing/here", policyParams(def, 1), 0, "", 0, contract.ErrNotFound, "/nothing/here"},
		{"a parameter that is no bundle file is a policy error", "", func() map[string]param {
			ps := policyParams(def, 1)
			ps[def+"/README.md"] = param{"read me", 1}
			return ps
		}(), 0, "", 0, contract.ErrPolicy, "README.md"},
		{"data without any module is a policy error", "", map[string]param{def + "/data.json": {"{}", 1}}, 0, "", 0, contract.ErrPolicy, "no .rego module"},
		{"a bundle too large for the workflow state is a policy error", "", policyParams(def, 3), 200, "", 0, contract.ErrPolicy, "256 KiB"},
		{"a path that is not a parameter path is refused", "ecs-compliance", policyParams(def, 1), 0, "", 0, contract.ErrFailed, "must be a Parameter Store path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeSSM{params: tc.params}
			h := &loadpolicy.Handler{SSM: fake, Path: tc.path, MaxBytes: tc.maxBytes}
			got, err := h.Handle(context.Background(), contract.State{})
			if tc.wantErr != "" {
				if step.Name(err) != tc.wantErr || !strings.Contains(err.Error(), tc.wantMsg) {
					t.Fatalf("err = %v (%s), want %s containing %q", err, step.Name(err), tc.wantErr, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range fake.inputs {
				if !aws.ToBool(in.Recursive) || !aws.ToBool(in.WithDecryption) || aws.ToString(in.Path) != tc.wantPath {
					t.Fatalf("request %+v", in)
				}
			}
			b := got.Policy
			if b.Path != tc.wantPath || len(b.Files) != tc.wantFiles || len(b.Versions) != tc.wantFiles {
				t.Fatalf("bundle path %q, %d files, %d versions", b.Path, len(b.Files), len(b.Versions))
			}
			want := filesOf(tc.wantPath, map[string]param{})
			for n, p := range tc.params {
				if strings.HasPrefix(n, tc.wantPath+"/") {
					want[strings.TrimPrefix(n, tc.wantPath+"/")] = p.value
					if b.Versions[n] != p.version {
						t.Fatalf("version of %s = %d, want %d", n, b.Versions[n], p.version)
					}
				}
			}
			if b.Hash != bundle.Hash(want) {
				t.Fatalf("hash %s does not match the files", b.Hash)
			}
			if got.Decision != nil || got.Outcome != "" {
				t.Fatalf("load policy must only fill the bundle: %+v", got)
			}
		})
	}
}

func TestHandleNamesSSMErrors(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"throttling is retried", &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded", Fault: smithy.FaultClient}, contract.ErrTransient},
		{"access denied is not retried", &smithy.GenericAPIError{Code: "AccessDeniedException", Fault: smithy.FaultClient}, contract.ErrAccessDenied},
		{"an internal server error is retried", &types.InternalServerError{Message: aws.String("oops")}, contract.ErrTransient},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := &loadpolicy.Handler{SSM: &fakeSSM{err: tc.err}}
			_, err := h.Handle(context.Background(), contract.State{})
			if step.Name(err) != tc.want {
				t.Fatalf("err = %v (%s), want %s", err, step.Name(err), tc.want)
			}
		})
	}
}

// TestThroughSSMClient runs the step on the real SSM client against a
// Parameter Store endpoint that pages its answers.
func TestThroughSSMClient(t *testing.T) {
	params := policyParams(bundle.DefaultPath, 14)
	fail := ""
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // the whole request first, as AWS does
		calls++
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if got := r.Header.Get("X-Amz-Target"); got != "AmazonSSM.GetParametersByPath" {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"__type":"UnknownOperationException","message":"`+got+`"}`)
			return
		}
		if fail != "" {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"__type":"`+fail+`","message":"injected"}`)
			return
		}
		var in struct {
			Path           string
			Recursive      bool
			WithDecryption bool
			MaxResults     int
			NextToken      string
		}
		_ = json.Unmarshal(body, &in)
		if in.MaxResults > 10 {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"__type":"ValidationException","message":"maxResults must be at most 10"}`)
			return
		}
		names := matching(params, in.Path, in.Recursive)
		start, _ := strconv.Atoi(in.NextToken)
		end := min(start+in.MaxResults, len(names))
		type p struct {
			Name, Value, Type string
			Version           int64
			LastModifiedDate  float64
		}
		out := struct {
			Parameters []p
			NextToken  string `json:",omitempty"`
		}{Parameters: []p{}}
		for _, n := range names[start:end] {
			out.Parameters = append(out.Parameters, p{n, params[n].value, "String", params[n].version, 1.7638272e9})
		}
		if end < len(names) {
			out.NextToken = strconv.Itoa(end)
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	defer srv.Close()
	client := ssm.New(ssm.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), RetryMaxAttempts: 1,
	})
	h := &loadpolicy.Handler{SSM: client}

	cases := []struct {
		name      string
		fail      string
		wantErr   string
		wantCalls int
	}{
		{"loads 15 parameters in two pages", "", "", 2},
		{"throttling is retryable", "ThrottlingException", contract.ErrTransient, 1},
		{"access denied is not retried", "AccessDeniedException", contract.ErrAccessDenied, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fail, calls = tc.fail, 0
			got, err := h.Handle(context.Background(), contract.State{})
			if calls != tc.wantCalls {
				t.Fatalf("%d calls, want %d", calls, tc.wantCalls)
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
			if want := filesOf(bundle.DefaultPath, params); got.Policy.Hash != bundle.Hash(want) || len(got.Policy.Files) != 15 {
				t.Fatalf("bundle %d files hash %s", len(got.Policy.Files), got.Policy.Hash)
			}
			if v := got.Policy.Versions[bundle.DefaultPath+"/rules/r13/r13.rego"]; v != 14 {
				t.Fatalf("version = %d", v)
			}
		})
	}
}
