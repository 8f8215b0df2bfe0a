package ecstest

import (
	"slices"
	"strings"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// Wire is what a remediation step must send and answer when it runs
// through the real ECS client against a Server.
type Wire struct {
	Ops     []string          // the operations called, in order
	Bodies  map[string]string // the request body of each operation (JSON, compared as values)
	Err     string            // the error name, or "" for success
	API     string            // on success: the result's API,
	Target  string            // its target,
	Changed bool              // whether it changed something,
	Detail  string            // and a part of its Detail
}

// CheckWire checks a step's run through srv against want. It reports
// whether the run succeeded, so that the caller can check more of res.
func CheckWire(t *testing.T, srv *Server, res contract.ActionResult, err error, want Wire) bool {
	t.Helper()
	if ops := srv.Ops(); !slices.Equal(ops, want.Ops) {
		t.Errorf("operations %v, want %v", ops, want.Ops)
	}
	for _, r := range srv.Requests() {
		if body, ok := want.Bodies[r.Op]; ok {
			AssertBody(t, r, body)
		}
	}
	if want.Err != "" {
		if step.Name(err) != want.Err {
			t.Fatalf("Handle = %+v, %v (%s); want error %s", res, err, step.Name(err), want.Err)
		}
		return false
	}
	if err != nil {
		t.Fatalf("Handle: %v (%s)", err, step.Name(err))
	}
	if res.Changed != want.Changed || res.Target != want.Target || res.API != want.API {
		t.Errorf("Handle = %+v, want %s on %s, Changed %t", res, want.API, want.Target, want.Changed)
	}
	if !strings.Contains(res.Detail, want.Detail) {
		t.Errorf("Detail %q, want it to contain %q", res.Detail, want.Detail)
	}
	return true
}
