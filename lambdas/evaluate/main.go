// Command evaluate is the "Evaluate task against policy" Lambda (see package
// evaluate): MODE (audit | enforce, default audit), APPROVAL (off | on,
// default off), APPROVAL_TIMEOUT_SECONDS (default 86400).
package main

import (
	"os"

	"github.com/ecs-compliance/ecs-compliance/lambdas/policy"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/evaluate"
)

func main() {
	h, err := evaluate.FromEnv(os.Getenv)
	if err != nil {
		step.Logger().Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	h.Engine = policy.NewEngine(policy.DefaultCacheSize)
	// The first event compiles the policy: no garbage collection until it
	// is answered (step.NoGCUntilFirstAnswer).
	step.Start(step.NoGCUntilFirstAnswer(h.Handle))
}
