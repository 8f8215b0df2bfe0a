package policystore_test

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
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/policystore"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// param is a stored parameter.
type param struct {
	value   string
	version int64
}

// fakeSSM is Parameter Store behind GetParametersByPath: the parameters in
// name order, MaxResults a page, recursive or one level down. It holds
// state (a test may change the parameters between calls, as a deployment
// does) and counts the calls. errs are returned, one per call, before any
// answer; dupPage repeats the last parameter of each page at the start of
// the next one (a broken paginator).
type fakeSSM struct {
	mu      sync.Mutex
	params  map[string]param
	errs    []error
	dupPage bool
	calls   int
	inputs  []ssm.GetParametersByPathInput
}

func (f *fakeSSM) GetParametersByPath(_ context.Context, in *ssm.GetParametersByPathInput, _ ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.inputs = append(f.inputs, *in)
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		if err != nil {
			return nil, err
		}
	}
	names := matching(f.params, aws.ToString(in.Path), aws.ToBool(in.Recursive))
	start := 0
	if in.NextToken != nil {
		start, _ = strconv.Atoi(*in.NextToken)
		if f.dupPage {
			start--
		}
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

func (f *fakeSSM) set(name, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.params[name]
	f.params[name] = param{value, p.version + 1}
}

func (f *fakeSSM) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
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
	ps := map[string]param{path + "/data.json": {`{"ecs":{"config":{"registries":[]}}}`, 3}}
	for i := range n {
		ps[fmt.Sprintf("%s/rules/r%02d/r%02d.rego", path, i, i)] = param{fmt.Sprintf("package ecs.rules.r%02d\n", i), int64(i + 1)}
	}
	return ps
}

// filesUnder are the bundle files of the parameters under path.
func filesUnder(path string, ps map[string]param) map[string]string {
	files := map[string]string{}
	for n, p := range ps {
		if f, ok := strings.CutPrefix(n, path+"/"); ok {
			files[f] = p.value
		}
	}
	return files
}

func apiErr(code string, fault smithy.ErrorFault) error {
	return &smithy.OperationError{ServiceID: "SSM", OperationName: "GetParametersByPath",
		Err: &smithy.GenericAPIError{Code: code, Message: "injected", Fault: fault}}
}

func TestLoad(t *testing.T) {
	def := bundle.DefaultPath
	cases := []struct {
		name      string
		path      string
		fake      *fakeSSM
		maxBytes  int
		wantPath  string
		wantFiles int
		wantCalls int
		wantErr   string
		wantMsg   string
	}{
		{"an empty path reads the default path, every page of it", "", &fakeSSM{params: policyParams(def, 23)}, 0, def, 24, 3, "", ""},
		{"a trailing slash is dropped from the path", "/team/policy/", &fakeSSM{params: policyParams("/team/policy", 2)}, 0, "/team/policy", 3, 1, "", ""},
		{"parameters beside the path are not part of the bundle", "/team/policy", &fakeSSM{params: func() map[string]param {
			ps := policyParams("/team/policy", 1)
			ps["/team/policy-old/x.rego"] = param{"package old", 1}
			ps["/other/data.json"] = param{"{}", 1}
			return ps
		}()}, 0, "/team/policy", 2, 1, "", ""},
		{"a positive maxBytes replaces the default limit", "", &fakeSSM{params: policyParams(def, 1)}, 1 << 20, def, 2, 1, "", ""},
		{"nothing under the path is not found, naming the path", "/nothing/here", &fakeSSM{params: policyParams(def, 1)}, 0, "", 0, 1, contract.ErrNotFound, "/nothing/here"},
		{"a parameter that is not a bundle file is a policy error", "", &fakeSSM{params: func() map[string]param {
			ps := policyParams(def, 1)
			ps[def+"/README.md"] = param{"read me", 1}
			return ps
		}()}, 0, "", 0, 1, contract.ErrPolicy, "README.md"},
		{"data without a module is a policy error", "", &fakeSSM{params: map[string]param{def + "/data.json": {"{}", 1}}}, 0, "", 0, 1, contract.ErrPolicy, "no .rego module"},
		{"a bundle over the limit is a policy error that says why", "", &fakeSSM{params: policyParams(def, 3)}, 200, "", 0, 1, contract.ErrPolicy, "256 KiB"},
		{"a parameter returned twice is a failure", "", &fakeSSM{params: policyParams(def, 12), dupPage: true}, 0, "", 0, 2, contract.ErrFailed, "returned twice"},
		{"a path that is not a parameter path is refused before any call", "ecs-compliance", &fakeSSM{params: policyParams(def, 1)}, 0, "", 0, 0, contract.ErrFailed, "must be a Parameter Store path"},
		{"the root path is refused", "/", &fakeSSM{params: policyParams(def, 1)}, 0, "", 0, 0, contract.ErrFailed, "must be a Parameter Store path"},
		{"throttling is transient", "", &fakeSSM{params: policyParams(def, 1), errs: []error{apiErr("ThrottlingException", smithy.FaultClient)}}, 0, "", 0, 1, contract.ErrTransient, "GetParametersByPath " + def},
		{"access denied is named", "", &fakeSSM{params: policyParams(def, 1), errs: []error{apiErr("AccessDeniedException", smithy.FaultClient)}}, 0, "", 0, 1, contract.ErrAccessDenied, ""},
		{"a server error is transient", "", &fakeSSM{params: policyParams(def, 1), errs: []error{&types.InternalServerError{Message: aws.String("oops")}}}, 0, "", 0, 1, contract.ErrTransient, ""},
		{"a failure on the second page fails the load", "", &fakeSSM{params: policyParams(def, 12), errs: []error{nil, apiErr("ThrottlingException", smithy.FaultClient)}}, 0, "", 0, 2, contract.ErrTransient, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			params := map[string]param{}
			for k, v := range tc.fake.params {
				params[k] = v
			}
			got, err := policystore.Load(context.Background(), tc.fake, tc.path, tc.maxBytes)
			if tc.fake.calls != tc.wantCalls {
				t.Errorf("%d GetParametersByPath calls, want %d", tc.fake.calls, tc.wantCalls)
			}
			if tc.wantErr != "" {
				if step.Name(err) != tc.wantErr || !strings.Contains(fmt.Sprint(err), tc.wantMsg) {
					t.Fatalf("err = %v (%s), want %s containing %q", err, step.Name(err), tc.wantErr, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range tc.fake.inputs {
				if !aws.ToBool(in.Recursive) || !aws.ToBool(in.WithDecryption) || aws.ToString(in.Path) != tc.wantPath || aws.ToInt32(in.MaxResults) != 10 {
					t.Errorf("request %+v: want recursive, decrypted, path %s, 10 a page", in, tc.wantPath)
				}
			}
			want := filesUnder(tc.wantPath, params)
			if got.Path != tc.wantPath || len(got.Files) != tc.wantFiles || len(got.Versions) != tc.wantFiles {
				t.Fatalf("bundle path %q, %d files, %d versions; want %q, %d", got.Path, len(got.Files), len(got.Versions), tc.wantPath, tc.wantFiles)
			}
			for f, v := range want {
				if got.Files[f] != v {
					t.Errorf("file %s = %q, want %q", f, got.Files[f], v)
				}
				if name := bundle.ParameterName(tc.wantPath, f); got.Versions[name] != params[name].version {
					t.Errorf("version of %s = %d, want %d", name, got.Versions[name], params[name].version)
				}
			}
			if got.Hash != bundle.Hash(want) {
				t.Errorf("hash %s is not the files' hash %s", got.Hash, bundle.Hash(want))
			}
		})
	}

	t.Run("no client is a clear failure", func(t *testing.T) {
		_, err := policystore.Load(context.Background(), nil, "", 0)
		if step.Name(err) != contract.ErrFailed || !strings.Contains(err.Error(), "no SSM client") {
			t.Fatalf("err = %v (%s)", err, step.Name(err))
		}
	})
	t.Run("the default limit is MaxBundleBytes of JSON", func(t *testing.T) {
		// One module just under the per-parameter size, times enough modules
		// to pass MaxBundleBytes once JSON-encoded.
		ps := map[string]param{}
		module := "package big\n# " + strings.Repeat("x", bundle.MaxFileBytes-20) + "\n"
		for i := range policystore.MaxBundleBytes/len(module) + 1 {
			ps[fmt.Sprintf("%s/big/m%03d.rego", def, i)] = param{module, 1}
		}
		_, err := policystore.Load(context.Background(), &fakeSSM{params: ps}, "", 0)
		if step.Name(err) != contract.ErrPolicy || !strings.Contains(err.Error(), fmt.Sprint(policystore.MaxBundleBytes)) {
			t.Fatalf("err = %v (%s), want a policy error naming the limit", err, step.Name(err))
		}
	})
}

// clock is a test clock that a test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func TestCacheKeepsTheHashForItsTTL(t *testing.T) {
	def := bundle.DefaultPath
	ctx := context.Background()
	cases := []struct {
		name string
		ttl  time.Duration
		// after each step the clock moves by step.advance, the policy
		// changes when step.change, then Bundle is called.
		steps []cacheStep
	}{
		{"within the TTL the cached hash answers, even when the policy changed", time.Minute, []cacheStep{
			{0, false, 1, "v1"},
			{30 * time.Second, true, 1, "v1"},
			{29 * time.Second, false, 1, "v1"},
		}},
		{"at the TTL the bundle is loaded again and the new hash answers", time.Minute, []cacheStep{
			{0, false, 1, "v1"},
			{time.Minute, true, 2, "v2"},
			{59 * time.Second, false, 2, "v2"},
			{time.Second, false, 3, "v2"},
		}},
		{"a zero TTL means DefaultCacheTTL", 0, []cacheStep{
			{0, false, 1, "v1"},
			{policystore.DefaultCacheTTL - time.Second, true, 1, "v1"},
			{time.Second, false, 2, "v2"},
		}},
		{"a short TTL reloads on every call after it", time.Second, []cacheStep{
			{0, false, 1, "v1"},
			{time.Second, true, 2, "v2"},
			{time.Second, true, 3, "v3"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeSSM{params: policyParams(def, 2)}
			clk := &clock{now: t0}
			c := &policystore.Cache{SSM: fake, TTL: tc.ttl, Now: clk.Now}
			hashes := map[string]string{}
			version := 1
			hashes["v1"] = bundle.Hash(filesUnder(def, fake.params))
			for i, s := range tc.steps {
				clk.advance(s.advance)
				if s.change {
					version++
					fake.set(def+"/data.json", fmt.Sprintf(`{"ecs":{"config":{"version":%d}}}`, version))
					hashes[fmt.Sprintf("v%d", version)] = bundle.Hash(filesUnder(def, fake.params))
				}
				b, err := c.Bundle(ctx)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if fake.callCount() != s.wantLoads {
					t.Errorf("step %d: %d loads, want %d", i, fake.callCount(), s.wantLoads)
				}
				if b.Hash != hashes[s.wantHash] {
					t.Errorf("step %d: hash %s, want %s's %s", i, b.Hash, s.wantHash, hashes[s.wantHash])
				}
				if b.Files != nil || b.Path != def || len(b.Versions) != 3 {
					t.Errorf("step %d: bundle %+v; want the path and versions without files", i, b)
				}
			}
		})
	}
}

type cacheStep struct {
	advance   time.Duration
	change    bool
	wantLoads int
	wantHash  string
}

func TestCacheDoesNotKeepErrors(t *testing.T) {
	def := bundle.DefaultPath
	ctx := context.Background()
	throttled := apiErr("ThrottlingException", smithy.FaultClient)

	t.Run("a failed first load is tried again on the next call", func(t *testing.T) {
		fake := &fakeSSM{params: policyParams(def, 1), errs: []error{throttled}}
		c := &policystore.Cache{SSM: fake, Now: (&clock{now: t0}).Now}
		if _, err := c.Bundle(ctx); step.Name(err) != contract.ErrTransient {
			t.Fatalf("first call: err = %v (%s), want %s", err, step.Name(err), contract.ErrTransient)
		}
		b, err := c.Bundle(ctx)
		if err != nil || b.Hash != bundle.Hash(filesUnder(def, fake.params)) || fake.callCount() != 2 {
			t.Fatalf("second call = %+v, %v after %d loads; want the bundle, loaded again", b, err, fake.callCount())
		}
	})
	t.Run("a failed reload is not served from the stale entry and is tried again", func(t *testing.T) {
		fake := &fakeSSM{params: policyParams(def, 1)}
		clk := &clock{now: t0}
		c := &policystore.Cache{SSM: fake, TTL: time.Minute, Now: clk.Now}
		first, err := c.Bundle(ctx)
		if err != nil {
			t.Fatal(err)
		}
		clk.advance(time.Minute)
		fake.errs = []error{apiErr("AccessDeniedException", smithy.FaultClient)}
		if _, err := c.Bundle(ctx); step.Name(err) != contract.ErrAccessDenied {
			t.Fatalf("reload: err = %v (%s), want %s", err, step.Name(err), contract.ErrAccessDenied)
		}
		got, err := c.Bundle(ctx)
		if err != nil || got.Hash != first.Hash || fake.callCount() != 3 {
			t.Fatalf("after the failure = %+v, %v after %d loads; want a fresh load", got, err, fake.callCount())
		}
		// ... which is cached again.
		if _, err := c.Bundle(ctx); err != nil || fake.callCount() != 3 {
			t.Fatalf("the fresh load is not cached: %v, %d loads", err, fake.callCount())
		}
	})
	t.Run("a bundle that does not validate is not cached", func(t *testing.T) {
		fake := &fakeSSM{params: map[string]param{def + "/data.json": {"{}", 1}}}
		c := &policystore.Cache{SSM: fake}
		for i := range 2 {
			if _, err := c.Bundle(ctx); step.Name(err) != contract.ErrPolicy {
				t.Fatalf("call %d: err = %v (%s)", i, err, step.Name(err))
			}
		}
		if fake.callCount() != 2 {
			t.Fatalf("%d loads, want one per call", fake.callCount())
		}
	})
	t.Run("a cache without a client fails clearly", func(t *testing.T) {
		if _, err := (&policystore.Cache{}).Bundle(ctx); step.Name(err) != contract.ErrFailed {
			t.Fatalf("err = %v (%s)", err, step.Name(err))
		}
	})
}

func TestCacheUnderConcurrentCallsLoadsOnce(t *testing.T) {
	fake := &fakeSSM{params: policyParams("/team/policy", 3)}
	c := &policystore.Cache{SSM: fake, Path: "/team/policy"}
	want := bundle.Hash(filesUnder("/team/policy", fake.params))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := c.Bundle(context.Background())
			if err == nil && b.Hash != want {
				err = fmt.Errorf("hash %s, want %s", b.Hash, want)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if fake.callCount() != 1 {
		t.Fatalf("%d loads for 16 concurrent calls, want 1", fake.callCount())
	}
}

// TestCacheThroughSSMClient runs the cache on the real SSM client against a
// Parameter Store endpoint that pages its answers.
func TestCacheThroughSSMClient(t *testing.T) {
	params := policyParams(bundle.DefaultPath, 14)
	var mu sync.Mutex
	fail, calls := "", 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		calls++
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if got := r.Header.Get("X-Amz-Target"); got != "AmazonSSM.GetParametersByPath" {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"__type":"UnknownOperationException","message":"`+got+`"}`)
			return
		}
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKID/") {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"__type":"MissingAuthenticationTokenException","message":"unsigned"}`)
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
		if in.MaxResults > 10 || !in.Recursive || !in.WithDecryption {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"__type":"ValidationException","message":"bad request"}`)
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
	clk := &clock{now: t0}
	c := &policystore.Cache{SSM: client, TTL: time.Minute, Now: clk.Now}
	ctx := context.Background()
	set := func(f string, n int) {
		mu.Lock()
		defer mu.Unlock()
		fail, calls = f, n
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return calls
	}

	cases := []struct {
		name      string
		advance   time.Duration
		fail      string
		wantErr   string
		wantCalls int
	}{
		{"a throttled first load is a transient error", 0, "ThrottlingException", contract.ErrTransient, 1},
		{"the next call loads 15 parameters in two pages", 0, "", "", 2},
		{"within the TTL no call is made", 30 * time.Second, "", "", 0},
		{"after the TTL a denied reload is named", 30 * time.Second, "AccessDeniedException", contract.ErrAccessDenied, 1},
		{"and the call after it loads again", 0, "", "", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk.advance(tc.advance)
			set(tc.fail, 0)
			got, err := c.Bundle(ctx)
			if n := count(); n != tc.wantCalls {
				t.Errorf("%d calls, want %d", n, tc.wantCalls)
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
			if want := filesUnder(bundle.DefaultPath, params); got.Hash != bundle.Hash(want) || got.Files != nil || len(got.Versions) != 15 {
				t.Fatalf("bundle hash %s, %d files, %d versions", got.Hash, len(got.Files), len(got.Versions))
			}
			if v := got.Versions[bundle.DefaultPath+"/rules/r13/r13.rego"]; v != 14 {
				t.Fatalf("version = %d, want 14", v)
			}
		})
	}
}
