package inmemory_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
)

func seeded(t *testing.T) *inmemory.Account {
	t.Helper()
	a := newAccount(t)
	for _, n := range []string{"/p/data.json", "/p/rules/a/a.rego", "/p/rules/b/b.rego", "/p/lib/x.rego", "/p2/other.rego", "/q/z.rego"} {
		if _, err := a.PutParameter(n, "content of "+n); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func TestGetParametersByPath(t *testing.T) {
	cases := []struct {
		name      string
		path      string
		recursive bool
		want      []string
	}{
		{"recursive takes every level under the path, in name order", "/p", true, []string{"/p/data.json", "/p/lib/x.rego", "/p/rules/a/a.rego", "/p/rules/b/b.rego"}},
		{"a trailing slash is the same path", "/p/", true, []string{"/p/data.json", "/p/lib/x.rego", "/p/rules/a/a.rego", "/p/rules/b/b.rego"}},
		{"non-recursive takes the level right under the path", "/p", false, []string{"/p/data.json"}},
		{"a sibling path with the same prefix is not under it", "/p2", true, []string{"/p2/other.rego"}},
		{"a path with nothing under it is empty, not an error", "/none", true, []string{}},
		{"the root path", "/", false, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := seeded(t)
			pages := ssm.NewGetParametersByPathPaginator(a, &ssm.GetParametersByPathInput{
				Path: aws.String(tc.path), Recursive: aws.Bool(tc.recursive), MaxResults: aws.Int32(2),
			})
			got := []string{}
			for pages.HasMorePages() {
				page, err := pages.NextPage(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Parameters) > 2 {
					t.Fatalf("page of %d", len(page.Parameters))
				}
				for _, p := range page.Parameters {
					got = append(got, aws.ToString(p.Name))
					if aws.ToString(p.Value) != "content of "+aws.ToString(p.Name) || p.Version != 1 || p.Type != types.ParameterTypeString ||
						!strings.HasPrefix(aws.ToString(p.ARN), "arn:aws:ssm:us-east-1:123456789012:parameter/p") && tc.path == "/p" {
						t.Fatalf("parameter %+v", p)
					}
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("names %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGetParametersByPathDefaultPageIsTen(t *testing.T) {
	a := newAccount(t)
	for i := range 13 {
		if _, err := a.PutParameter("/big/f"+string(rune('a'+i)), "v"); err != nil {
			t.Fatal(err)
		}
	}
	out, err := a.GetParametersByPath(context.Background(), &ssm.GetParametersByPathInput{Path: aws.String("/big")})
	if err != nil || len(out.Parameters) != 10 || out.NextToken == nil {
		t.Fatalf("first page %d params, token %v, %v", len(out.Parameters), out.NextToken, err)
	}
	out, err = a.GetParametersByPath(context.Background(), &ssm.GetParametersByPathInput{Path: aws.String("/big"), NextToken: out.NextToken})
	if err != nil || len(out.Parameters) != 3 || out.NextToken != nil {
		t.Fatalf("second page %d params, token %v, %v", len(out.Parameters), out.NextToken, err)
	}
}

func TestGetParametersByPathErrors(t *testing.T) {
	cases := []struct {
		name     string
		in       *ssm.GetParametersByPathInput
		wantCode string
	}{
		{"a path without a leading slash", &ssm.GetParametersByPathInput{Path: aws.String("p")}, "ValidationException"},
		{"more than 10 results", &ssm.GetParametersByPathInput{Path: aws.String("/p"), MaxResults: aws.Int32(11)}, "ValidationException"},
		{"zero results", &ssm.GetParametersByPathInput{Path: aws.String("/p"), MaxResults: aws.Int32(0)}, "ValidationException"},
		{"a token the service did not give", &ssm.GetParametersByPathInput{Path: aws.String("/p"), NextToken: aws.String("garbage!")}, "InvalidNextToken"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := seeded(t).GetParametersByPath(context.Background(), tc.in)
			wantAPIError(t, err, tc.wantCode, "")
		})
	}
}

func TestPutParameter(t *testing.T) {
	a := newAccount(t)
	for want := int64(1); want <= 3; want++ {
		v, err := a.PutParameter("/p/data.json", "v")
		if err != nil || v != want {
			t.Fatalf("version %d, %v; want %d", v, err, want)
		}
	}
	if value, version, ok := a.Parameter("/p/data.json"); !ok || value != "v" || version != 3 {
		t.Fatalf("Parameter = %q %d %v", value, version, ok)
	}
	bad := []struct{ name, param, value, want string }{
		{"no leading slash", "p/x", "v", "starts with /"},
		{"an empty segment", "/p//x", "v", "empty path segment"},
		{"a character Parameter Store refuses", "/p/a b", "v", "not allowed"},
		{"a reserved prefix", "/aws/x", "v", "reserved"},
		{"too deep", "/" + strings.Repeat("a/", 15) + "b", "v", "levels"},
		{"an empty value", "/p/x", "", "empty value"},
		{"a value over 8 KB", "/p/x", strings.Repeat("x", 8193), "at most 8192"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := a.PutParameter(tc.param, tc.value); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSeedPolicy(t *testing.T) {
	a := newAccount(t)
	files := map[string]string{"data.json": "{}", "rules/registry/registry.rego": "package x"}
	if err := a.SeedPolicy("/ecs-compliance/policy", files); err != nil {
		t.Fatal(err)
	}
	if err := a.SeedPolicy("/ecs-compliance/policy", files); err != nil {
		t.Fatal(err)
	}
	if v, ver, ok := a.Parameter("/ecs-compliance/policy/rules/registry/registry.rego"); !ok || v != "package x" || ver != 2 {
		t.Fatalf("seeded %q v%d %v", v, ver, ok)
	}
	if err := a.SeedPolicy("relative", files); err == nil {
		t.Fatal("a relative path must be refused")
	}
	if err := a.SeedPolicy("/p", map[string]string{"a b.rego": "x"}); err == nil || !errors.Is(err, err) || !strings.Contains(err.Error(), "not allowed") {
		t.Fatalf("bad file name: %v", err)
	}
}
