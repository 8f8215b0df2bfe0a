package ecstest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// The fake must behave as ECS does where the steps depend on it.
func TestFake(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(*Fake) error
		want []Change
		code string // error code; "" = success
	}{
		{
			name: "UpdateService changes the desired count once",
			run: func(f *Fake) error {
				f.AddService(Service(2))
				for range 2 {
					if _, err := f.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(ClusterArn), Service: aws.String(ServiceName), DesiredCount: aws.Int32(0)}); err != nil {
						return err
					}
				}
				return nil
			},
			want: []Change{{API: "UpdateService", Target: ServiceArn}},
		},
		{
			name: "UpdateService without a desired count changes nothing",
			run: func(f *Fake) error {
				f.AddService(Service(2))
				_, err := f.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(ClusterArn), Service: aws.String(ServiceName)})
				return err
			},
		},
		{
			name: "UpdateService of a missing service is ServiceNotFoundException",
			run: func(f *Fake) error {
				f.AddCluster(ClusterArn)
				_, err := f.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(ClusterArn), Service: aws.String(ServiceName), DesiredCount: aws.Int32(0)})
				return err
			},
			code: "ServiceNotFoundException",
		},
		{
			name: "UpdateService in the default cluster when none is given",
			run: func(f *Fake) error {
				f.AddService(Service(2))
				_, err := f.UpdateService(ctx, &ecs.UpdateServiceInput{Service: aws.String(ServiceName), DesiredCount: aws.Int32(0)})
				return err
			},
			code: "ClusterNotFoundException",
		},
		{
			name: "DescribeServices by cluster name answers MISSING with the service ARN",
			run: func(f *Fake) error {
				f.AddCluster(ClusterArn)
				out, err := f.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{ServiceName}})
				if err != nil {
					return err
				}
				if len(out.Failures) != 1 || aws.ToString(out.Failures[0].Arn) != ServiceArn || aws.ToString(out.Failures[0].Reason) != "MISSING" {
					return fmt.Errorf("failures %+v, want one MISSING %s", out.Failures, ServiceArn)
				}
				return nil
			},
		},
		{
			name: "StopTask of a stopping task changes nothing",
			run: func(f *Fake) error {
				tk := RunningTask()
				tk.DesiredStatus = aws.String("STOPPED")
				f.AddTask(tk)
				_, err := f.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(ClusterArn), Task: aws.String(TaskArn), Reason: aws.String("x")})
				return err
			},
		},
		{
			name: "StopTask of an unknown task is InvalidParameterException",
			run: func(f *Fake) error {
				f.AddCluster(ClusterArn)
				_, err := f.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(ClusterArn), Task: aws.String(TaskArn)})
				return err
			},
			code: "InvalidParameterException",
		},
		{
			name: "DeregisterTaskDefinition deactivates once",
			run: func(f *Fake) error {
				f.AddTaskDefinition(TaskDefinition(types.TaskDefinitionStatusActive))
				for range 2 {
					if _, err := f.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(TaskDefinitionArn)}); err != nil {
						return err
					}
				}
				return nil
			},
			want: []Change{{API: "DeregisterTaskDefinition", Target: TaskDefinitionArn}},
		},
		{
			name: "DescribeTaskDefinition of an unknown revision is ClientException",
			run: func(f *Fake) error {
				_, err := f.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(TaskDefinitionArn)})
				return err
			},
			code: "ClientException",
		},
		{
			name: "RegisterScalableTarget changes a target once",
			run: func(f *Fake) error {
				f.AddScalableTarget(ScalableTarget(2, 10))
				in := &applicationautoscaling.RegisterScalableTargetInput{ServiceNamespace: "ecs", ResourceId: aws.String(ResourceID),
					ScalableDimension: "ecs:service:DesiredCount", MinCapacity: aws.Int32(0), MaxCapacity: aws.Int32(0)}
				for range 2 {
					if _, err := f.RegisterScalableTarget(ctx, in); err != nil {
						return err
					}
				}
				if t, _ := f.ScalableTargetOf(ResourceID); aws.ToInt32(t.MaxCapacity) != 0 {
					return fmt.Errorf("target %+v", t)
				}
				return nil
			},
			want: []Change{{API: "RegisterScalableTarget", Target: ResourceID}},
		},
		{
			name: "RegisterScalableTarget refuses a minimum over the maximum",
			run: func(f *Fake) error {
				f.AddScalableTarget(ScalableTarget(2, 10))
				_, err := f.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{ServiceNamespace: "ecs",
					ResourceId: aws.String(ResourceID), ScalableDimension: "ecs:service:DesiredCount", MinCapacity: aws.Int32(11)})
				return err
			},
			code: "ValidationException",
		},
		{
			name: "DescribeScalableTargets filters by resource and namespace",
			run: func(f *Fake) error {
				f.AddScalableTarget(ScalableTarget(2, 10))
				out, err := f.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: "ecs", ResourceIds: []string{ResourceID, "service/prod/other"}})
				if err != nil || len(out.ScalableTargets) != 1 {
					return fmt.Errorf("targets %+v, %v", out, err)
				}
				other, err := f.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: "dynamodb", ResourceIds: []string{ResourceID}})
				if err != nil || len(other.ScalableTargets) != 0 {
					return fmt.Errorf("another namespace: %+v, %v", other, err)
				}
				return nil
			},
		},
		{
			name: "ListServices pages by maxResults and the page size",
			run: func(f *Fake) error {
				for _, n := range []string{"a", "b", "c"} {
					s := Service(1)
					s.ServiceName, s.ServiceArn = aws.String(n), aws.String("arn:aws:ecs:us-east-1:123456789012:service/prod/"+n)
					f.AddService(s)
				}
				f.SetPageSize(2)
				var got []string
				in := &ecs.ListServicesInput{Cluster: aws.String("prod"), MaxResults: aws.Int32(100)}
				for {
					out, err := f.ListServices(ctx, in)
					if err != nil {
						return err
					}
					got = append(got, out.ServiceArns...)
					if out.NextToken == nil {
						break
					}
					in.NextToken = out.NextToken
				}
				if len(got) != 3 || got[2] != "arn:aws:ecs:us-east-1:123456789012:service/prod/c" {
					return fmt.Errorf("services %v", got)
				}
				return nil
			},
		},
		{
			name: "ListTasks by family, running only",
			run: func(f *Fake) error {
				stopped := RunningTask()
				stopped.TaskArn, stopped.DesiredStatus = aws.String(TaskArn+"-stopped"), aws.String("STOPPED")
				f.AddTask(RunningTask()).AddTask(stopped)
				out, err := f.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(ClusterArn), Family: aws.String("web")})
				if err != nil || !slices.Equal(out.TaskArns, []string{TaskArn}) {
					return fmt.Errorf("tasks %+v, %v", out, err)
				}
				return nil
			},
		},
		{
			name: "DescribeServices of more than 10 is InvalidParameterException",
			run: func(f *Fake) error {
				f.AddCluster(ClusterArn)
				_, err := f.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(ClusterArn), Services: make([]string, 11)})
				return err
			},
			code: "InvalidParameterException",
		},
		{
			name: "a scripted failure comes first, without effect",
			run: func(f *Fake) error {
				f.AddTask(RunningTask()).Fail("StopTask", &smithy.GenericAPIError{Code: "ThrottlingException"})
				_, err := f.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(ClusterArn), Task: aws.String(TaskArn)})
				return err
			},
			code: "ThrottlingException",
		},
		{
			name: "a failure after effect changes and fails",
			run: func(f *Fake) error {
				f.AddTask(RunningTask()).FailAfterEffect("StopTask", &smithy.GenericAPIError{Code: "RequestTimeout"})
				_, err := f.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(ClusterArn), Task: aws.String(TaskArn)})
				return err
			},
			want: []Change{{API: "StopTask", Target: TaskArn}},
			code: "RequestTimeout",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFake()
			err := tc.run(f)
			var apiErr smithy.APIError
			switch {
			case tc.code == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.code != "" && (!errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.code):
				t.Fatalf("error %v, want code %s", err, tc.code)
			}
			if got := f.Changes(); !slices.Equal(got, tc.want) {
				t.Errorf("changes %v, want %v", got, tc.want)
			}
		})
	}
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestServer(t *testing.T) {
	rec := &recorder{TB: t}
	srv := NewServer(rec).On("StopTask", OK(`{"task": {"taskArn": "`+TaskArn+`", "desiredStatus": "STOPPED"}}`), Throttling)
	c := srv.Client()
	ctx := context.Background()
	in := &ecs.StopTaskInput{Cluster: aws.String(ClusterArn), Task: aws.String(TaskArn), Reason: aws.String("r")}

	out, err := c.StopTask(ctx, in)
	if err != nil || aws.ToString(out.Task.DesiredStatus) != "STOPPED" {
		t.Fatalf("first StopTask = %+v, %v; want the scripted task", out, err)
	}
	var apiErr smithy.APIError
	if _, err := c.StopTask(ctx, in); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ThrottlingException" {
		t.Errorf("second StopTask error %v, want ThrottlingException", err)
	}
	if _, err := c.StopTask(ctx, in); err == nil {
		t.Error("an unscripted call succeeded")
	}
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "unexpected call StopTask") {
		t.Errorf("recorded failures %q, want one unexpected call", rec.errors)
	}
	if ops := srv.Ops(); !slices.Equal(ops, []string{"StopTask", "StopTask", "StopTask"}) {
		t.Errorf("ops %v", ops)
	}
	AssertBody(t, srv.Requests()[0], `{"cluster": "`+ClusterArn+`", "task": "`+TaskArn+`", "reason": "r"}`)
}
