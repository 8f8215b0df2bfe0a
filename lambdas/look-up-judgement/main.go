// Command look-up-judgement is the triage's "Look up judgement" Lambda, run
// after a wait for another execution's judgement: it computes the task's
// judgement key (the policy under POLICY_PATH, MODE, APPROVAL, the task
// definition and service from ECS) and looks it up in the judgements table
// (JUDGEMENTS_TABLE); tasks of EXCLUDED_CLUSTERS and EXCLUDED_SERVICES are
// left alone. (A task's first look-up is made by record-task.)
package main

import (
	"os"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsconfig"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/lookup"
)

func main() {
	h, err := lookup.FromEnv(awsconfig.Load(), os.Getenv)
	awsconfig.Must(err)
	step.Start(h.Handle)
}
