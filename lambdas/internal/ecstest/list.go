package ecstest

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// SetPageSize makes ListServices and ListTasks answer at most n items a page
// (0: as ECS, maxResults or its default), so that tests see the steps follow
// nextToken.
func (f *Fake) SetPageSize(n int) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pageSize = n
	return f
}

// page cuts items (sorted) to one page from token; the next token is the
// offset of the next page.
func (f *Fake) page(items []string, token *string, maxResults *int32, def int) ([]string, *string, error) {
	n := def
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > 100 {
			return nil, nil, &types.InvalidParameterException{Message: aws.String("maxResults must be between 1 and 100.")}
		}
		n = int(*maxResults)
	}
	if f.pageSize > 0 && f.pageSize < n {
		n = f.pageSize
	}
	from := 0
	if t := aws.ToString(token); t != "" {
		i, err := strconv.Atoi(t)
		if err != nil || i < 0 || i > len(items) {
			return nil, nil, &types.InvalidParameterException{Message: aws.String("Invalid nextToken.")}
		}
		from = i
	}
	to := min(from+n, len(items))
	var next *string
	if to < len(items) {
		next = aws.String(strconv.Itoa(to))
	}
	return items[from:to], next, nil
}

// ListServices lists the ARNs of the cluster's services (ACTIVE and
// DRAINING), 10 a page unless maxResults says otherwise (at most 100).
func (f *Fake) ListServices(_ context.Context, in *ecs.ListServicesInput, _ ...func(*ecs.Options)) (*ecs.ListServicesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ft, ok := f.begin("ListServices"); ok {
		return nil, ft.err
	}
	cluster, err := f.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	var arns []string
	for _, s := range f.services {
		if aws.ToString(s.ClusterArn) == cluster && aws.ToString(s.Status) != "INACTIVE" {
			arns = append(arns, aws.ToString(s.ServiceArn))
		}
	}
	slices.Sort(arns)
	items, next, err := f.page(arns, in.NextToken, in.MaxResults, 10)
	if err != nil {
		return nil, err
	}
	return &ecs.ListServicesOutput{ServiceArns: items, NextToken: next}, nil
}

// ListTasks lists the ARNs of the cluster's tasks, filtered by family,
// service name (group) and desired status (default RUNNING), 100 a page
// unless maxResults says otherwise.
func (f *Fake) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ft, ok := f.begin("ListTasks"); ok {
		return nil, ft.err
	}
	cluster, err := f.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if in.Family != nil && in.ServiceName != nil {
		return nil, &types.InvalidParameterException{Message: aws.String("Family and ServiceName cannot both be specified.")}
	}
	desired := string(in.DesiredStatus)
	if desired == "" {
		desired = "RUNNING"
	}
	var arns []string
	for _, t := range f.tasks {
		family, _, _ := strings.Cut(strings.TrimPrefix(resource(aws.ToString(t.TaskDefinitionArn)), "task-definition/"), ":")
		switch {
		case aws.ToString(t.ClusterArn) != cluster, aws.ToString(t.DesiredStatus) != desired,
			in.Family != nil && family != *in.Family,
			in.ServiceName != nil && aws.ToString(t.Group) != "service:"+*in.ServiceName:
			continue
		}
		arns = append(arns, aws.ToString(t.TaskArn))
	}
	slices.Sort(arns)
	items, next, err := f.page(arns, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	return &ecs.ListTasksOutput{TaskArns: items, NextToken: next}, nil
}
