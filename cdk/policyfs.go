package main

import (
	"io/fs"

	"github.com/ecs-compliance/ecs-compliance/policies"
)

// policyFS is the policy folder the bundle is read from: embedded in the
// app, so that the synth does not depend on its working directory.
func policyFS() fs.FS { return policies.FS }
