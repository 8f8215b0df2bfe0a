package remediate

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

// Exclusions are the clusters and services that remediation must leave
// alone. The deregister step reads them from its environment
// (EXCLUDED_CLUSTERS, EXCLUDED_SERVICES; see ParseExclusions) and does not
// deregister a task definition that any of them uses: an exclusion protects
// what it names, including the revision it runs.
type Exclusions struct {
	// Clusters are cluster names or ARNs, as configured.
	Clusters []string
	// Services are the excluded services.
	Services []ServiceRef
}

// ServiceRef is one excluded service.
type ServiceRef struct {
	// Cluster is the cluster's name or ARN (an ARN when the service was
	// given by ARN), as ECS accepts it in a Cluster member.
	Cluster string
	// Name is the service's name.
	Name string
}

// ParseExclusions reads the two settings, each a comma-separated list
// (spaces around entries and empty entries are ignored):
//
//	EXCLUDED_CLUSTERS  cluster names or cluster ARNs:
//	                   sandbox, arn:aws:ecs:us-east-1:123456789012:cluster/load-test
//	EXCLUDED_SERVICES  CLUSTER/SERVICE (names), or service ARNs in the long format:
//	                   prod/legacy-billing, arn:aws:ecs:us-east-1:123456789012:service/prod/batch
//
// An entry that is neither is an error naming it.
func ParseExclusions(clusters, services string) (Exclusions, error) {
	var ex Exclusions
	var errs []string
	for _, c := range split(clusters) {
		if strings.HasPrefix(c, "arn:") {
			if _, err := ecsARN("EXCLUDED_CLUSTERS", c, "cluster/"); err != nil {
				errs = append(errs, fmt.Sprintf("EXCLUDED_CLUSTERS: %q is not an ECS cluster ARN", c))
				continue
			}
		} else if !contract.ValidName(c) {
			errs = append(errs, fmt.Sprintf("EXCLUDED_CLUSTERS: %q is not a cluster name (letters, numbers, - and _) or ARN", c))
			continue
		}
		ex.Clusters = append(ex.Clusters, c)
	}
	for _, s := range split(services) {
		ref, err := parseServiceRef(s)
		if err != nil {
			errs = append(errs, "EXCLUDED_SERVICES: "+err.Error())
			continue
		}
		ex.Services = append(ex.Services, ref)
	}
	if len(errs) > 0 {
		return Exclusions{}, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return ex, nil
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseServiceRef(s string) (ServiceRef, error) {
	if strings.HasPrefix(s, "arn:") {
		a, err := arn.Parse(s)
		rest, ok := strings.CutPrefix(a.Resource, "service/")
		cluster, name, two := strings.Cut(rest, "/")
		if err != nil || a.Service != "ecs" || !ok || !two || !contract.ValidName(cluster) || !contract.ValidName(name) {
			return ServiceRef{}, fmt.Errorf("%q is not an ECS service ARN in the long format (arn:…:service/CLUSTER/SERVICE)", s)
		}
		a.Resource = "cluster/" + cluster
		return ServiceRef{Cluster: a.String(), Name: name}, nil
	}
	cluster, name, ok := strings.Cut(s, "/")
	if !ok || !contract.ValidName(cluster) || !contract.ValidName(name) {
		return ServiceRef{}, fmt.Errorf("%q is not CLUSTER/SERVICE (names) or a service ARN", s)
	}
	return ServiceRef{Cluster: cluster, Name: name}, nil
}

// Empty reports whether nothing is excluded.
func (e Exclusions) Empty() bool { return len(e.Clusters) == 0 && len(e.Services) == 0 }

// ClusterExcluded reports whether the cluster (name or ARN) is excluded.
func (e Exclusions) ClusterExcluded(cluster string) bool {
	name := ClusterNameOf(cluster)
	for _, c := range e.Clusters {
		if ClusterNameOf(c) == name {
			return true
		}
	}
	return false
}

// ServiceExcluded reports whether the service (its cluster by name or ARN,
// and its name) is excluded, by name or through its cluster.
func (e Exclusions) ServiceExcluded(cluster, name string) bool {
	if e.ClusterExcluded(cluster) {
		return true
	}
	c := ClusterNameOf(cluster)
	for _, s := range e.Services {
		if ClusterNameOf(s.Cluster) == c && s.Name == name {
			return true
		}
	}
	return false
}

// ClusterNameOf is the name of a cluster given by name or ARN.
func ClusterNameOf(cluster string) string {
	if a, err := arn.Parse(cluster); err == nil {
		return strings.TrimPrefix(a.Resource, "cluster/")
	}
	return cluster
}
