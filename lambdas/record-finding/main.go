// Command record-finding is the "Import Security Hub findings" Lambda: it
// imports the ASFF findings of an evaluated task into Security Hub.
package main

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsconfig"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/finding"
)

func main() {
	cfg := awsconfig.Load()
	h := &finding.Handler{SecurityHub: securityhub.NewFromConfig(cfg), Now: time.Now}
	step.Start(h.Handle)
}
