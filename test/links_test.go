package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// services is, per Lambda, the AWS SDK service packages it may link: the
// ones it calls. None links the SDK's config package, nor with it the
// credential chain's sts, sso, ssooidc and signin clients: package awsconfig
// builds the configuration from Lambda's environment (about 1 ms of every
// cold start and 2 MB, see coldstart_test.go).
var services = map[string][]string{
	"record-task":                {"dynamodb", "ecs", "ssm"}, // it looks up the judgement too
	"look-up-judgement":          {"dynamodb", "ecs", "ssm"},
	"record-judgement":           {"dynamodb"},
	"count-incident":             {"dynamodb"},
	"load-policy":                {"ssm"},
	"describe-task-definition":   {"ecs"},
	"evaluate":                   {},
	"request-approval":           {"dynamodb", "secretsmanager", "sns"},
	"approval-callback":          {"dynamodb", "secretsmanager", "sfn"},
	"scale-service":              {"applicationautoscaling", "ecs"},
	"stop-task":                  {"ecs"},
	"deregister-task-definition": {"ecs"},
	"notify":                     {"sns"},
	"record-finding":             {"securityhub"},
	"report-failure":             {"dynamodb", "sns"},
}

// TestEachLambdaLinksOnlyWhatItCalls checks the import graph of every Lambda:
// only evaluate links OPA, no Lambda links an SDK service it does not call
// nor the SDK's config package (binary size and cold start).
func TestEachLambdaLinksOnlyWhatItCalls(t *testing.T) {
	mains, err := filepath.Glob("../lambdas/*/main.go")
	if err != nil || len(mains) == 0 {
		t.Fatalf("no Lambdas found: %v", err)
	}
	for name := range services {
		if !slices.Contains(mains, "../lambdas/"+name+"/main.go") {
			t.Errorf("this test's table has %s, which has no lambdas/%s/main.go", name, name)
		}
	}
	for _, m := range mains {
		name := filepath.Base(filepath.Dir(m))
		t.Run(name, func(t *testing.T) {
			allowed, ok := services[name]
			if !ok {
				t.Fatalf("lambdas/%s is not in this test's table: add the SDK services it calls", name)
			}
			out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "../lambdas/"+name).Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			var linked []string
			opa := false
			for _, p := range strings.Fields(string(out)) {
				if svc, ok := strings.CutPrefix(p, "github.com/aws/aws-sdk-go-v2/service/"); ok {
					svc, _, _ = strings.Cut(svc, "/")
					if svc != "internal" && !slices.Contains(linked, svc) {
						linked = append(linked, svc)
					}
				}
				if strings.HasPrefix(p, "github.com/open-policy-agent/opa/") {
					opa = true
				}
				if p == "github.com/aws/aws-sdk-go-v2/config" {
					t.Errorf("links the SDK's config package and its credential chain: use lambdas/awsconfig")
				}
			}
			if opa != (name == "evaluate") {
				t.Errorf("links OPA: %v (only evaluate may)", opa)
			}
			for _, svc := range linked {
				if !slices.Contains(allowed, svc) {
					t.Errorf("links service/%s, which it does not call (allowed: %v)", svc, allowed)
				}
			}
			for _, svc := range allowed {
				if !slices.Contains(linked, svc) {
					t.Errorf("does not link service/%s: update this test's table", svc)
				}
			}
		})
	}
}

// BenchmarkLambdaBinarySize reports the size of every Lambda as it is
// deployed (linux/arm64, stripped: buildLambdas, the deploy flags): the
// deployment package and the cold start grow with it. The Lambdas are built
// once, with one go build, whatever b.N; each sub-benchmark reports its
// binary's size in MB (MiB). Targets (issue 13): evaluate ≤ 28 MB, every
// other ≤ 12 MB.
func BenchmarkLambdaBinarySize(b *testing.B) {
	dir := buildLambdas(b, "arm64")
	for _, name := range lambdaNames(b) {
		b.Run(name, func(b *testing.B) {
			st, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(st.Size())/(1<<20), "MB")
		})
	}
}
