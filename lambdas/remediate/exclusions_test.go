package remediate

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseExclusions(t *testing.T) {
	tests := []struct {
		name               string
		clusters, services string
		want               Exclusions
		err                string
	}{
		{name: "nothing excluded", want: Exclusions{}},
		{
			name:     "names and ARNs, spaces and empty entries ignored",
			clusters: " sandbox, ,arn:aws:ecs:us-east-1:123456789012:cluster/load-test,",
			services: "prod/legacy-billing , arn:aws-cn:ecs:cn-north-1:123456789012:service/prod/batch",
			want: Exclusions{
				Clusters: []string{"sandbox", "arn:aws:ecs:us-east-1:123456789012:cluster/load-test"},
				Services: []ServiceRef{{Cluster: "prod", Name: "legacy-billing"},
					{Cluster: "arn:aws-cn:ecs:cn-north-1:123456789012:cluster/prod", Name: "batch"}},
			},
		},
		{name: "an ARN of another resource as a cluster", clusters: "arn:aws:ecs:us-east-1:123456789012:service/prod/web", err: `EXCLUDED_CLUSTERS: "arn:aws:ecs:us-east-1:123456789012:service/prod/web" is not an ECS cluster ARN`},
		{name: "a cluster name ECS would refuse", clusters: "prod web", err: `"prod web" is not a cluster name`},
		{name: "a service without its cluster", services: "web", err: `EXCLUDED_SERVICES: "web" is not CLUSTER/SERVICE`},
		{name: "a service with an empty name", services: "prod/", err: `"prod/" is not CLUSTER/SERVICE`},
		{name: "a short-format service ARN", services: "arn:aws:ecs:us-east-1:123456789012:service/web", err: "long format"},
		{name: "every bad entry is named", clusters: "a b", services: "x", err: `"a b" is not a cluster name (letters, numbers, - and _) or ARN; EXCLUDED_SERVICES: "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseExclusions(tc.clusters, tc.services)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseExclusions = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestExclusionsMatch(t *testing.T) {
	ex, err := ParseExclusions("sandbox, arn:aws:ecs:us-east-1:123456789012:cluster/load-test", "arn:aws:ecs:us-east-1:123456789012:service/prod/batch")
	if err != nil {
		t.Fatal(err)
	}
	for cluster, want := range map[string]bool{
		"sandbox": true, "arn:aws:ecs:us-east-1:123456789012:cluster/sandbox": true, "load-test": true, "prod": false, "": false,
	} {
		if got := ex.ClusterExcluded(cluster); got != want {
			t.Errorf("ClusterExcluded(%q) = %t, want %t", cluster, got, want)
		}
	}
	if ex.Empty() || !(Exclusions{}).Empty() {
		t.Error("Empty is wrong")
	}
}
