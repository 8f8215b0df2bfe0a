// Command opa is the OPA command line with the policy library's custom
// built-ins (image.parse) registered, so that `opa test`, `opa check`,
// `opa fmt` and `opa eval` understand the policies exactly as the evaluate
// Lambda does. Build it with `go build -o .tools/bin/opa ./policies/cmd/opa`.
package main

import (
	"errors"
	"os"

	"github.com/open-policy-agent/opa/cmd"

	"github.com/ecs-compliance/ecs-compliance/lambdas/policy/builtins"
)

func main() {
	builtins.Register()
	if err := cmd.RootCommand.Execute(); err != nil {
		var exit *cmd.ExitError
		if errors.As(err, &exit) {
			os.Exit(exit.Exit)
		}
		os.Exit(1)
	}
}
