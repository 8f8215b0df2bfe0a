package ecstest

import (
	"context"
	"slices"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// Twice runs a remediation step twice on the same fake, as a Step Functions
// retry would, and checks what every remediation step promises: the first
// run fails with firstErr ("" for none) and reports firstChange; the second
// run succeeds without a change; exactly want took effect over both runs,
// in order; and the second run only read (its last call is read). It
// returns the second run's result for the step's own checks.
func Twice(t *testing.T, fake *Fake, handle func(context.Context, contract.State) (contract.ActionResult, error),
	st contract.State, firstErr string, firstChange bool, read string, want ...Change) contract.ActionResult {
	t.Helper()
	first, err := handle(context.Background(), st)
	if (err == nil) != (firstErr == "") || (err != nil && step.Name(err) != firstErr) {
		t.Fatalf("first run: %+v, %v; want error %q", first, err, firstErr)
	}
	if first.Changed != firstChange {
		t.Errorf("first run Changed %t, want %t", first.Changed, firstChange)
	}
	second, err := handle(context.Background(), st)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if second.Changed {
		t.Errorf("second run = %+v, want no change", second)
	}
	if got := fake.Changes(); !slices.Equal(got, want) {
		t.Errorf("changes %v, want exactly %v", got, want)
	}
	if calls := fake.Calls(); len(calls) == 0 || calls[len(calls)-1] != read {
		t.Errorf("the second run called %v; want it to end with %s", calls, read)
	}
	return second
}
