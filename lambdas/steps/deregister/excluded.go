package deregister

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/remediate"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// user is an excluded service or task that uses the task definition.
type user struct {
	arn  string
	what string // "service sandbox/web (cluster sandbox is excluded)"
}

// maxPages bounds a listing: 1,000 pages of 100 are far more services or
// tasks than a cluster holds; more means the answer is looping.
const maxPages = 1000

// excludedUsers finds what of the excluded clusters and services uses the
// task definition td (ARN) of family: an excluded cluster's services (their
// task definition, or a deployment's or task set's) and running tasks, and
// the excluded services. A cluster or service that does not exist uses
// nothing. Any other error is returned named, before anything changed.
func (h *Handler) excludedUsers(ctx context.Context, td, family string) ([]user, error) {
	var users []user
	seen := map[string]bool{}
	add := func(u user) {
		if !seen[u.arn] {
			seen[u.arn] = true
			users = append(users, u)
		}
	}
	for _, cluster := range h.Excluded.Clusters {
		name := remediate.ClusterNameOf(cluster)
		arns, err := h.listServices(ctx, cluster)
		if err != nil {
			return nil, err
		}
		svcs, err := h.describeServices(ctx, cluster, arns)
		if err != nil {
			return nil, err
		}
		for _, s := range svcs {
			if uses(s, td) {
				add(user{aws.ToString(s.ServiceArn), fmt.Sprintf("service %s/%s (cluster %s is excluded)", name, aws.ToString(s.ServiceName), name)})
			}
		}
		tasks, err := h.listTasks(ctx, cluster, family)
		if err != nil {
			return nil, err
		}
		for i := 0; i < len(tasks); i += 100 {
			out, err := h.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: tasks[i:min(i+100, len(tasks))]})
			if remediate.IsError(err, "ClusterNotFoundException") {
				break
			}
			if err != nil {
				return nil, step.AWSError("DescribeTasks in excluded cluster "+name, err)
			}
			for _, t := range out.Tasks {
				if aws.ToString(t.TaskDefinitionArn) == td {
					add(user{aws.ToString(t.TaskArn), fmt.Sprintf("running task %s (cluster %s is excluded)", lastPart(aws.ToString(t.TaskArn)), name)})
				}
			}
		}
	}
	// Excluded services outside the excluded clusters, by cluster.
	byCluster := map[string][]string{}
	var order []string
	for _, s := range h.Excluded.Services {
		if h.Excluded.ClusterExcluded(s.Cluster) {
			continue
		}
		if _, ok := byCluster[s.Cluster]; !ok {
			order = append(order, s.Cluster)
		}
		byCluster[s.Cluster] = append(byCluster[s.Cluster], s.Name)
	}
	for _, cluster := range order {
		svcs, err := h.describeServices(ctx, cluster, byCluster[cluster])
		if err != nil {
			return nil, err
		}
		for _, s := range svcs {
			if uses(s, td) {
				add(user{aws.ToString(s.ServiceArn), fmt.Sprintf("excluded service %s/%s", remediate.ClusterNameOf(cluster), aws.ToString(s.ServiceName))})
			}
		}
	}
	return users, nil
}

// listServices lists every service of the cluster, all pages; a cluster that
// does not exist has none.
func (h *Handler) listServices(ctx context.Context, cluster string) ([]string, error) {
	var arns []string
	in := &ecs.ListServicesInput{Cluster: aws.String(cluster), MaxResults: aws.Int32(100)}
	for page := 0; ; page++ {
		out, err := h.ECS.ListServices(ctx, in)
		if remediate.IsError(err, "ClusterNotFoundException") {
			return nil, nil
		}
		if err != nil {
			return nil, step.AWSError("ListServices in excluded cluster "+remediate.ClusterNameOf(cluster), err)
		}
		arns = append(arns, out.ServiceArns...)
		next, err := nextToken(in.NextToken, out.NextToken, page, "ListServices", cluster)
		if next == nil || err != nil {
			return arns, err
		}
		in.NextToken = next
	}
}

// listTasks lists the cluster's running tasks of the family, all pages.
func (h *Handler) listTasks(ctx context.Context, cluster, family string) ([]string, error) {
	var arns []string
	in := &ecs.ListTasksInput{Cluster: aws.String(cluster), Family: aws.String(family), MaxResults: aws.Int32(100)}
	for page := 0; ; page++ {
		out, err := h.ECS.ListTasks(ctx, in)
		if remediate.IsError(err, "ClusterNotFoundException") {
			return nil, nil
		}
		if err != nil {
			return nil, step.AWSError("ListTasks in excluded cluster "+remediate.ClusterNameOf(cluster), err)
		}
		arns = append(arns, out.TaskArns...)
		next, err := nextToken(in.NextToken, out.NextToken, page, "ListTasks", cluster)
		if next == nil || err != nil {
			return arns, err
		}
		in.NextToken = next
	}
}

// nextToken is the token of the next page, nil after the last; a token
// that repeats or pages without end are an error.
func nextToken(prev, next *string, page int, op, cluster string) (*string, error) {
	if aws.ToString(next) == "" {
		return nil, nil
	}
	if aws.ToString(next) == aws.ToString(prev) || page+1 >= maxPages {
		return nil, step.Errorf(contract.ErrFailed, "%s in cluster %s: the pages do not end (nextToken %q after %d pages)",
			op, remediate.ClusterNameOf(cluster), aws.ToString(next), page+1)
	}
	return next, nil
}

// describeServices describes services (names or ARNs) of the cluster, 10 a
// call; missing ones and a missing cluster are left out.
func (h *Handler) describeServices(ctx context.Context, cluster string, services []string) ([]types.Service, error) {
	var out []types.Service
	for i := 0; i < len(services); i += 10 {
		res, err := h.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: services[i:min(i+10, len(services))]})
		if remediate.IsError(err, "ClusterNotFoundException") {
			return out, nil
		}
		if err != nil {
			return nil, step.AWSError("DescribeServices in excluded cluster "+remediate.ClusterNameOf(cluster), err)
		}
		out = append(out, res.Services...)
	}
	return out, nil
}

// uses reports whether the service runs td: as its task definition, or in
// one of its deployments or task sets.
func uses(s types.Service, td string) bool {
	if aws.ToString(s.Status) == "INACTIVE" {
		return false
	}
	if aws.ToString(s.TaskDefinition) == td {
		return true
	}
	for _, d := range s.Deployments {
		if aws.ToString(d.TaskDefinition) == td {
			return true
		}
	}
	for _, ts := range s.TaskSets {
		if aws.ToString(ts.TaskDefinition) == td {
			return true
		}
	}
	return false
}

// sharedDetail says why the revision stays registered.
func sharedDetail(td string, users []user) string {
	const most = 5
	var whats []string
	for i, u := range users {
		if i == most {
			whats = append(whats, fmt.Sprintf("%d more", len(users)-most))
			break
		}
		whats = append(whats, u.what)
	}
	return fmt.Sprintf("task definition %s is also used by what remediation must leave alone: %s; so it was not deregistered "+
		"(an exclusion protects what it names). Deregister it yourself once they no longer use it", td, strings.Join(whats, ", "))
}

func lastPart(s string) string { return s[strings.LastIndex(s, "/")+1:] }
