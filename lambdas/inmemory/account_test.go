package inmemory_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/idempotency"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// The account and the real clients fit the same narrow interfaces: each is
// the SDK method's exact signature.
type (
	ecsAPI interface {
		DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
		ListTagsForResource(context.Context, *ecs.ListTagsForResourceInput, ...func(*ecs.Options)) (*ecs.ListTagsForResourceOutput, error)
		DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
		UpdateService(context.Context, *ecs.UpdateServiceInput, ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
		DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
		StopTask(context.Context, *ecs.StopTaskInput, ...func(*ecs.Options)) (*ecs.StopTaskOutput, error)
		DeregisterTaskDefinition(context.Context, *ecs.DeregisterTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error)
	}
	snsAPI interface {
		Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
	}
	securityHubAPI interface {
		BatchImportFindings(context.Context, *securityhub.BatchImportFindingsInput, ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error)
	}
)

var (
	_ ecsAPI                           = (*ecs.Client)(nil)
	_ ecsAPI                           = (*inmemory.Account)(nil)
	_ ssm.GetParametersByPathAPIClient = (*inmemory.Account)(nil)
	_ snsAPI                           = (*sns.Client)(nil)
	_ snsAPI                           = (*inmemory.Account)(nil)
	_ securityHubAPI                   = (*securityhub.Client)(nil)
	_ securityHubAPI                   = (*inmemory.Account)(nil)
	_ idempotency.Store                = (&inmemory.Account{}).Idempotency()
)

func TestThrottleFirst(t *testing.T) {
	ctx := context.Background()
	describe := func(a *inmemory.Account, ref string) error {
		_, err := a.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
		return err
	}
	claim := func(a *inmemory.Account, at time.Duration) error {
		_, err := a.Idempotency().Claim(ctx, apiTask, "exec-1", clock.Add(at), time.Hour)
		return err
	}
	publish := func(a *inmemory.Account, msg string) error {
		_, err := a.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Subject: aws.String("s"), Message: aws.String(msg)})
		return err
	}
	cases := []struct {
		name      string
		n         int
		calls     []func(a *inmemory.Account) error
		wantFails []bool
	}{
		{"each distinct call fails its first n tries", 2, []func(*inmemory.Account) error{
			func(a *inmemory.Account) error { return describe(a, "web:3") },
			func(a *inmemory.Account) error { return describe(a, "web:3") },
			func(a *inmemory.Account) error { return describe(a, "api:7") },
			func(a *inmemory.Account) error { return describe(a, "web:3") },
			func(a *inmemory.Account) error { return describe(a, "api:7") },
			func(a *inmemory.Account) error { return describe(a, "api:7") },
		}, []bool{true, true, true, false, true, false}},
		{"a retry that recomputes a time is the same call", 1, []func(*inmemory.Account) error{
			func(a *inmemory.Account) error { return claim(a, 0) },
			func(a *inmemory.Account) error { return claim(a, time.Second) },
		}, []bool{true, false}},
		{"a retry with a new message body is the same publish", 1, []func(*inmemory.Account) error{
			func(a *inmemory.Account) error { return publish(a, "at 09:05") },
			func(a *inmemory.Account) error { return publish(a, "at 09:06") },
		}, []bool{true, false}},
		{"zero turns throttling off", 0, []func(*inmemory.Account) error{
			func(a *inmemory.Account) error { return describe(a, "web:3") },
		}, []bool{false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newAccount(t)
			a.ThrottleFirst(tc.n)
			throttled := 0
			for i, call := range tc.calls {
				err := call(a)
				if (err != nil) != tc.wantFails[i] {
					t.Fatalf("call %d: err = %v, want failure %v", i, err, tc.wantFails[i])
				}
				if err == nil {
					continue
				}
				throttled++
				if step.Name(step.AWSError("call", err)) != contract.ErrTransient ||
					retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
					t.Fatalf("call %d: %v is not a retryable throttle", i, err)
				}
				if step.ErrorCode(err) != "ThrottlingException" {
					t.Fatalf("call %d: code %s", i, step.ErrorCode(err))
				}
			}
			if a.Throttled() != throttled {
				t.Fatalf("Throttled() = %d, want %d", a.Throttled(), throttled)
			}
		})
	}
}

func TestThrottledCallsChangeNothing(t *testing.T) {
	a := newAccount(t)
	a.ThrottleFirst(1)
	ctx := context.Background()
	in := &ecs.StopTaskInput{Cluster: aws.String("prod"), Task: aws.String(apiTask), Reason: aws.String("r")}
	if _, err := a.StopTask(ctx, in); err == nil {
		t.Fatal("first try must be throttled")
	}
	if len(a.Actions()) != 0 {
		t.Fatal("a throttled call took effect")
	}
	if _, err := a.StopTask(ctx, in); err != nil {
		t.Fatal(err)
	}
	if got := a.Actions(); len(got) != 1 {
		t.Fatalf("actions %v", got)
	}
	if calls := a.Calls(); calls["ECS.StopTask"] != 2 {
		t.Fatalf("calls %v", calls)
	}
}

func TestIdempotencyStore(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	store := a.Idempotency()
	first, err := store.Claim(ctx, apiTask, "exec-1", clock, time.Hour)
	if err != nil || !first.Claimed {
		t.Fatalf("first claim %+v %v", first, err)
	}
	dup, err := store.Claim(ctx, apiTask, "exec-2", clock.Add(time.Minute), time.Hour)
	if err != nil || dup.Claimed || !dup.FirstSeen.Equal(clock) {
		t.Fatalf("second claim %+v %v", dup, err)
	}
	if c, ok := a.Claimed(apiTask); !ok || !c.FirstSeen.Equal(clock) {
		t.Fatalf("Claimed = %+v %v", c, ok)
	}
	if err := store.Release(ctx, apiTask, first.Attempt); err != nil {
		t.Fatal(err)
	}
	if c, ok := a.Claimed(apiTask); !ok || !c.Released {
		t.Fatalf("after release: %+v, %v; want the claim kept, released", c, ok)
	}
	a.ThrottleFirst(1)
	if err := store.Release(ctx, apiTask, first.Attempt); step.Name(err) != contract.ErrTransient {
		t.Fatalf("throttled release: %v", err)
	}
}

func TestMarksSplitTheHistoryPerEvent(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	m0 := a.Mark()
	if _, err := a.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("prod"), Task: aws.String(apiTask)}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("one")}); err != nil {
		t.Fatal(err)
	}
	m1 := a.Mark()
	if _, err := a.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(apiTD7)}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{finding("f")}}); err != nil {
		t.Fatal(err)
	}
	m2 := a.Mark()
	cases := []struct {
		name                                string
		mark                                inmemory.Mark
		wantActions                         []inmemory.Action
		wantNotifications, wantFindingCount int
	}{
		{"since the start", m0, []inmemory.Action{{API: "StopTask", Target: apiTask}, {API: "DeregisterTaskDefinition", Target: apiTD7}}, 1, 1},
		{"since the first event", m1, []inmemory.Action{{API: "DeregisterTaskDefinition", Target: apiTD7}}, 0, 1},
		{"since the last event", m2, []inmemory.Action{}, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := a.ActionsSince(tc.mark); !reflect.DeepEqual(got, tc.wantActions) {
				t.Fatalf("actions %v", got)
			}
			if got := a.NotificationsSince(tc.mark); len(got) != tc.wantNotifications {
				t.Fatalf("notifications %v", got)
			}
			if got := a.FindingsSince(tc.mark); len(got) != tc.wantFindingCount {
				t.Fatalf("findings %d", len(got))
			}
		})
	}
}

func TestCancelledContext(t *testing.T) {
	a := newAccount(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := a.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("prod"), Task: aws.String(apiTask)})
	if !errors.Is(err, context.Canceled) || len(a.Actions()) != 0 {
		t.Fatalf("err = %v, actions %v", err, a.Actions())
	}
}

// TestConcurrentUse drives the account from many goroutines, as the
// workflow's Parallel branches and concurrent executions do; run with -race.
func TestConcurrentUse(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 40 {
		wg.Add(5)
		go func() {
			defer wg.Done()
			_, err := a.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("prod"), Task: aws.String(apiTask)})
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, err := a.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(fmt.Sprint(i))})
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, err := a.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{finding(fmt.Sprint(i % 4))}})
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, err := a.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("api:7")})
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, err := a.Idempotency().Claim(ctx, apiTask, "exec-1", clock, time.Hour)
			errs <- err
			_ = a.Mark()
			_ = a.World()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := a.Actions(); len(got) != 1 {
		t.Fatalf("a task stopped 40 times at once is one action, got %v", got)
	}
	if len(a.Notifications()) != 40 || len(a.Findings()) != 4 || len(a.FindingsSince(inmemory.Mark{})) != 40 {
		t.Fatalf("%d notifications %d findings", len(a.Notifications()), len(a.Findings()))
	}
}

func TestZeroAccountDoesNotPanic(t *testing.T) {
	var a inmemory.Account
	ctx := context.Background()
	if _, err := a.PutParameter("/p/x.rego", "package x"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.StopTask(ctx, &ecs.StopTaskInput{Task: aws.String("t")}); err == nil {
		t.Fatal("a task in an empty account must not be found")
	}
	if _, err := a.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("m")}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Idempotency().Claim(ctx, apiTask, "exec-1", clock, time.Hour); err != nil {
		t.Fatal(err)
	}
}
