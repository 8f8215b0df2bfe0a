package main

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func contextOf(m map[string]any) func(string) any {
	return func(k string) any { return m[k] }
}

func TestParseSettings(t *testing.T) {
	tests := []struct {
		name string
		ctx  map[string]any
		want func(s *Settings)
	}{
		{"no context gives audit mode and the documented defaults", nil, func(*Settings) {}},
		{"mode enforce from -c (any case)", map[string]any{"mode": "Enforce"}, func(s *Settings) { s.Mode = "enforce" }},
		{"approval on", map[string]any{"approval": "on"}, func(s *Settings) { s.Approval = "on" }},
		{"approval timeout as -c string", map[string]any{"approvalTimeoutSeconds": "3600"}, func(s *Settings) { s.ApprovalTimeoutSeconds = 3600 }},
		{"approval timeout as cdk.json number", map[string]any{"approvalTimeoutSeconds": float64(7200)}, func(s *Settings) { s.ApprovalTimeoutSeconds = 7200 }},
		{"registries as a comma string, trimmed, blanks and duplicates dropped",
			map[string]any{"approvedRegistries": " ghcr.io/acme , ,123456789012.dkr.ecr.eu-west-1.amazonaws.com,ghcr.io/acme"},
			func(s *Settings) {
				s.ApprovedRegistries = []string{"ghcr.io/acme", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"}
			}},
		{"registries as a cdk.json list, with a port", map[string]any{"approvedRegistries": []any{"registry.internal:5000/team"}},
			func(s *Settings) { s.ApprovedRegistries = []string{"registry.internal:5000/team"} }},
		{"notification email", map[string]any{"notificationEmail": "secops@example.com"}, func(s *Settings) { s.NotificationEmail = "secops@example.com" }},
		{"excluded clusters by name and ARN", map[string]any{"excludedClusters": "sandbox,arn:aws:ecs:us-east-1:123456789012:cluster/ci"},
			func(s *Settings) {
				s.ExcludedClusters = []string{"sandbox", "arn:aws:ecs:us-east-1:123456789012:cluster/ci"}
			}},
		{"log retention", map[string]any{"logRetentionDays": "365"}, func(s *Settings) { s.LogRetentionDays = 365 }},
		{"policy path", map[string]any{"policyPath": "/platform/ecs-policy"}, func(s *Settings) { s.PolicyPath = "/platform/ecs-policy" }},
		{"empty strings keep defaults", map[string]any{"mode": "", "policyPath": " ", "logRetentionDays": ""}, func(*Settings) {}},
		{"approval timeout of 30 days, the longest", map[string]any{"approvalTimeoutSeconds": "2592000"}, func(s *Settings) { s.ApprovalTimeoutSeconds = 2592000 }},
		{"excluded services as CLUSTER/SERVICE, trimmed and deduplicated", map[string]any{"excludedServices": "prod/legacy-billing, prod/batch,prod/legacy-billing"},
			func(s *Settings) { s.ExcludedServices = []string{"prod/legacy-billing", "prod/batch"} }},
		{"excluded services as a cdk.json list", map[string]any{"excludedServices": []any{"prod/web"}},
			func(s *Settings) { s.ExcludedServices = []string{"prod/web"} }},
		{"judgement TTL from -c", map[string]any{"judgementTtlHours": "24"}, func(s *Settings) { s.JudgementTTLHours = 24 }},
		{"judgement TTL from cdk.json, a year", map[string]any{"judgementTtlHours": float64(8760)}, func(s *Settings) { s.JudgementTTLHours = 8760 }},
		{"registrations off (any case)", map[string]any{"judgeRegistrations": "OFF"}, func(s *Settings) { s.JudgeRegistrations = "off" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := DefaultSettings()
			tt.want(&want)
			got, err := ParseSettings(contextOf(tt.ctx))
			if err != nil {
				t.Fatalf("ParseSettings: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestDefaultSettings(t *testing.T) {
	s := DefaultSettings()
	if s.Mode != "audit" || s.Approval != "off" || s.ApprovalTimeoutSeconds != 86400 || s.LogRetentionDays != 30 ||
		s.PolicyPath != "/ecs-compliance/policy" || s.NotificationEmail != "" || s.ApprovedRegistries != nil || s.ExcludedClusters != nil ||
		s.ExcludedServices != nil || s.JudgementTTLHours != 720 || s.JudgeRegistrations != "on" {
		t.Errorf("defaults changed: %+v (update the README's settings table too)", s)
	}
}

func TestParseSettingsRejects(t *testing.T) {
	tests := []struct {
		name string
		ctx  map[string]any
		want []string // substrings of the error
	}{
		{"unknown mode", map[string]any{"mode": "enforcing"}, []string{`"mode"`, `"enforcing" is neither audit nor enforce`}},
		{"approval yes", map[string]any{"approval": "yes"}, []string{`"approval"`, "neither off nor on"}},
		{"approval timeout not a number", map[string]any{"approvalTimeoutSeconds": "1d"}, []string{`"approvalTimeoutSeconds"`, "whole number"}},
		{"approval timeout fractional", map[string]any{"approvalTimeoutSeconds": 1.5}, []string{`"approvalTimeoutSeconds"`, "whole number"}},
		{"approval timeout too short", map[string]any{"approvalTimeoutSeconds": "10"}, []string{`"approvalTimeoutSeconds"`, "outside 60..2592000"}},
		{"approval timeout over 30 days, which the workflow's own 35-day limit would cut off", map[string]any{"approvalTimeoutSeconds": float64(2592001)},
			[]string{`"approvalTimeoutSeconds"`, "outside", "30 days"}},
		{"excluded service without its cluster", map[string]any{"excludedServices": "web"}, []string{`"excludedServices"`, "not CLUSTER/SERVICE"}},
		{"excluded service given as an ARN", map[string]any{"excludedServices": "arn:aws:ecs:us-east-1:123456789012:service/prod/web"}, []string{`"excludedServices"`, "not CLUSTER/SERVICE"}},
		{"excluded service with a third level", map[string]any{"excludedServices": "prod/web/x"}, []string{`"excludedServices"`}},
		{"judgement TTL of zero", map[string]any{"judgementTtlHours": "0"}, []string{`"judgementTtlHours"`, "outside 1..8760"}},
		{"judgement TTL over a year", map[string]any{"judgementTtlHours": float64(8761)}, []string{`"judgementTtlHours"`, "outside 1..8760"}},
		{"judgement TTL not a number", map[string]any{"judgementTtlHours": "1d"}, []string{`"judgementTtlHours"`, "whole number"}},
		{"registrations yes", map[string]any{"judgeRegistrations": "yes"}, []string{`"judgeRegistrations"`, "neither on nor off"}},
		{"registry with a scheme", map[string]any{"approvedRegistries": "https://ghcr.io"}, []string{`"approvedRegistries"`, "without a scheme"}},
		{"registry with a space", map[string]any{"approvedRegistries": []any{"ghcr .io"}}, []string{"not a registry host"}},
		{"registry list with a number", map[string]any{"approvedRegistries": []any{"ghcr.io", 5.0}}, []string{"list of strings"}},
		{"email without a domain", map[string]any{"notificationEmail": "secops"}, []string{`"notificationEmail"`, "not an email address"}},
		{"email with a display name", map[string]any{"notificationEmail": "Sec Ops <secops@example.com>"}, []string{"bare address"}},
		{"cluster name with a slash", map[string]any{"excludedClusters": "team/ci"}, []string{`"excludedClusters"`, "neither a cluster name"}},
		{"ARN of a service, not a cluster", map[string]any{"excludedClusters": "arn:aws:ecs:us-east-1:123456789012:service/ci/web"}, []string{"not an ECS cluster ARN"}},
		{"retention CloudWatch does not offer", map[string]any{"logRetentionDays": "31"}, []string{`"logRetentionDays"`, "not a CloudWatch Logs retention"}},
		{"policy path without leading slash", map[string]any{"policyPath": "ecs/policy"}, []string{`"policyPath"`, "starts with /"}},
		{"policy path with trailing slash", map[string]any{"policyPath": "/ecs/policy/"}, []string{"does not end with one"}},
		{"policy path under the reserved aws prefix", map[string]any{"policyPath": "/aws/policy"}, []string{"reserved"}},
		{"policy path with a space", map[string]any{"policyPath": "/ecs policy"}, []string{"only letters"}},
		{"mode of the wrong type", map[string]any{"mode": true}, []string{`"mode"`, "want a string"}},
		{"every bad setting is reported at once", map[string]any{"mode": "x", "logRetentionDays": "2"}, []string{`"mode"`, `"logRetentionDays"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSettings(contextOf(tt.ctx))
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestClusterArns(t *testing.T) {
	tests := []struct {
		name     string
		clusters []string
		want     []string
		wantErr  string
	}{
		{"none", nil, nil, ""},
		{"names become ARNs of the stack's account and region, sorted, deduplicated",
			[]string{"sandbox", "arn:aws:ecs:eu-west-1:111122223333:cluster/ci", "sandbox"},
			[]string{"arn:aws:ecs:eu-west-1:111122223333:cluster/ci", "arn:aws:ecs:eu-west-1:111122223333:cluster/sandbox"}, ""},
		{"an ARN of another account is an error", []string{"arn:aws:ecs:eu-west-1:999999999999:cluster/ci"}, nil, "not in this stack's account"},
		{"an ARN of another region is an error", []string{"arn:aws:ecs:us-east-1:111122223333:cluster/ci"}, nil, "region eu-west-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Settings{ExcludedClusters: tt.clusters}.ClusterArns("aws", "eu-west-1", "111122223333")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestPolicyFiles(t *testing.T) {
	const data = `{"ecs": {"config": {"registries": [], "enforcement": {"image_tag": "warn"}, "maxCpu": 4096.0}}, "other": "<kept>"}`
	fsys := fstest.MapFS{
		"data.json":               {Data: []byte(data)},
		"ecs/rules/a/a.rego":      {Data: []byte("package ecs.rules.a\n")},
		"ecs/rules/a/a_test.rego": {Data: []byte("package ecs.rules.a_test\n")},
	}
	tests := []struct {
		name       string
		fsys       fstest.MapFS
		registries []string
		check      func(t *testing.T, files map[string]string)
		wantErr    string
	}{
		{"without registries the files are the bundle as written", fsys, nil, func(t *testing.T, files map[string]string) {
			if files["data.json"] != data || len(files) != 2 {
				t.Errorf("files = %v", files)
			}
		}, ""},
		{"registries replace ecs.config.registries and keep every other value", fsys, []string{"ghcr.io/acme"}, func(t *testing.T, files map[string]string) {
			got := files["data.json"]
			for _, want := range []string{`"registries": [`, `"ghcr.io/acme"`, `"image_tag": "warn"`, `"maxCpu": 4096.0`, `"other": "<kept>"`} {
				if !strings.Contains(got, want) {
					t.Errorf("data.json lacks %s:\n%s", want, got)
				}
			}
		}, ""},
		{"registries create ecs.config when data.json has none", fstest.MapFS{
			"data.json": {Data: []byte(`{}`)}, "m.rego": {Data: []byte("package m\n")},
		}, []string{"ghcr.io"}, func(t *testing.T, files map[string]string) {
			if !strings.Contains(files["data.json"], `"ecs": {`) || !strings.Contains(files["data.json"], `"ghcr.io"`) {
				t.Errorf("data.json = %s", files["data.json"])
			}
		}, ""},
		{"registries without a data.json is an error", fstest.MapFS{"m.rego": {Data: []byte("package m\n")}}, []string{"ghcr.io"}, nil, "has no top-level data.json"},
		{"ecs.config of the wrong type is an error", fstest.MapFS{
			"data.json": {Data: []byte(`{"ecs": {"config": []}}`)}, "m.rego": {Data: []byte("package m\n")},
		}, []string{"ghcr.io"}, nil, `"config" is a []interface {}`},
		{"data.json that is not JSON is an error", fstest.MapFS{
			"data.json": {Data: []byte(`{`)}, "m.rego": {Data: []byte("package m\n")},
		}, []string{"ghcr.io"}, nil, "policy bundle data.json"},
		{"a bundle without modules is an error", fstest.MapFS{"data.json": {Data: []byte(`{}`)}}, nil, nil, "no .rego module"},
		{"a CloudFormation dynamic reference, which the deploy would resolve, is an error naming the file and line", fstest.MapFS{
			"m.rego": {Data: []byte("package m\n\n# ignore {{resolve:ssm:/x}} values\n")},
		}, nil, nil, `policy bundle m.rego line 3 holds "{{resolve:"`},
		{"a test file is not deployed, so it may hold one", fstest.MapFS{
			"m.rego": {Data: []byte("package m\n")}, "m_test.rego": {Data: []byte("package m_test\n\n# {{resolve:ssm:/x}}\n")},
		}, nil, func(t *testing.T, files map[string]string) {
			if len(files) != 1 {
				t.Errorf("files = %v", files)
			}
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, err := PolicyFiles(tt.fsys, Settings{ApprovedRegistries: tt.registries})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, files)
		})
	}
}

func TestEveryAcceptedRetentionHasACDKValue(t *testing.T) {
	seen := map[string]int{}
	for _, d := range logRetentionDays {
		r := string(retentionOf(d))
		if r == "" {
			t.Errorf("%d days: no awslogs.RetentionDays", d)
		}
		if prev, dup := seen[r]; dup {
			t.Errorf("%d and %d days both map to %s", prev, d, r)
		}
		seen[r] = d
	}
}
