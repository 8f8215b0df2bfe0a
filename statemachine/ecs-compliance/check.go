package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/policies"
	"github.com/ecs-compliance/ecs-compliance/statemachine/check"
)

const checkUsage = `usage: ecs-compliance check [flags] FILE...

Judges ECS task definitions with the deployed policy, before they are
deployed (in CI). FILE is any of:

  - a task definition in the ECS API's JSON shape: what
    "aws ecs describe-task-definition" prints ({taskDefinition, tags}), its
    taskDefinition alone, or the input of
    "aws ecs register-task-definition --cli-input-json" (JSON or YAML);
  - a CloudFormation or SAM template (JSON or YAML): every
    AWS::ECS::TaskDefinition resource, its properties mapped to the API's
    shape; YAML short forms (!Ref, !Sub, !GetAtt, …) are read as the long
    forms;
  - a cdk.out folder: every template in it.

Each task definition is evaluated as the deployed workflow evaluates a task,
with the same policy, enforcement levels and exemptions, but without a task:
rules about a running task have nothing to read, exemptions scoped to a
cluster or service do not match. Its tags are the task definition's.

Values a template builds with intrinsic functions known only at deploy time
(Ref to a parameter or resource, Fn::GetAtt, Fn::ImportValue, Fn::If, …) are
reported as unknown and left out of the evaluation, never guessed. The
pseudo parameters AWS::AccountId, AWS::Region, AWS::Partition and
AWS::URLSuffix resolve from --account and --region, so Fn::Sub, Fn::Join,
Fn::Select, Fn::Split, Fn::FindInMap and Fn::Base64 over them are evaluated.
Template properties the mapping does not know are reported as unmapped and
left out.

--account and --region are required when the policy approves the account's
own ECR registry (ecs.config.registries empty, the default); otherwise they
are optional (they still fill input.context and the pseudo parameters).

Exit status: 0 no deny-level violation; 1 at least one deny-level violation
(in either mode); 2 bad flags or bad input (a file that cannot be read or
parsed, a file with no task definition, a wrong property type), each
reported with its file and location. Files that can be judged are judged
and reported even when another is bad.

flags:
`

// runCheck is the check subcommand.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("check", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, checkUsage)
		fl.PrintDefaults()
		fmt.Fprint(stderr, `
examples:
  ecs-compliance check --account 123456789012 --region us-east-1 taskdef.json
  ecs-compliance check --format sarif --output ecs-compliance.sarif \
      --account 123456789012 --region us-east-1 cdk.out deploy/*.yaml
`)
	}
	policyDir := fl.String("policy", "", "the policy folder (default: the policies/ bundle built into this command)")
	format := fl.String("format", "text", "report format: text (for people), json (one document: per file, per task definition, the decision) or sarif (SARIF 2.1.0, for code scanning)")
	output := fl.String("output", "", "write the report to `FILE` instead of standard output; with --format json or sarif, the text report still goes to standard output")
	account := fl.String("account", "", "the AWS account `ID` the task definitions are deployed to (input.context.account, AWS::AccountId)")
	region := fl.String("region", "", "the AWS `Region` they are deployed to (input.context.region, AWS::Region)")
	mode := fl.String("mode", "enforce", "the deployed mode the report describes: enforce or audit (the exit status does not depend on it)")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "ecs-compliance check: "+format+"\n", args...)
		return 2
	}
	switch *format {
	case "text", "json", "sarif":
	default:
		return fail("--format %q: allowed: text, json or sarif", *format)
	}
	if *mode != "enforce" && *mode != "audit" {
		return fail("--mode %q: allowed: enforce or audit", *mode)
	}
	if fl.NArg() == 0 {
		fmt.Fprintln(stderr, "ecs-compliance check: give at least one task definition, template or cdk.out folder")
		fl.Usage()
		return 2
	}

	source, fsys := builtInPolicy, fs.FS(policies.FS)
	if *policyDir != "" {
		dir, err := policyFolder("policy", *policyDir)
		if err != nil {
			return fail("%v", err)
		}
		source, fsys = *policyDir, dir
	}
	files, err := bundle.ReadFS(fsys)
	if err != nil {
		return fail("--policy %s: %v", source, err)
	}

	ctx := context.Background()
	c, err := check.New(ctx, check.Options{
		Bundle:       files,
		PolicySource: source,
		Account:      *account,
		Region:       *region,
		Mode:         contract.Mode(*mode),
	})
	if err != nil {
		var ue *check.UsageError
		if errors.As(err, &ue) {
			return fail("%v", err)
		}
		return fail("policy %s: %v", source, err)
	}
	report, err := c.Check(ctx, fl.Args())
	if err != nil {
		return fail("%v", err)
	}

	write := func(w io.Writer) error {
		switch *format {
		case "json":
			return report.JSON(w)
		case "sarif":
			return report.SARIF(w)
		}
		return report.Text(w)
	}
	if *output == "" {
		if err := write(stdout); err != nil {
			return fail("%v", err)
		}
		return report.ExitCode
	}
	out, err := os.Create(*output)
	if err != nil {
		return fail("--output: %v", err)
	}
	werr := write(out)
	if cerr := out.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fail("--output %s: %v", *output, werr)
	}
	if *format != "text" {
		if err := report.Text(stdout); err != nil {
			return fail("%v", err)
		}
		fmt.Fprintf(stdout, "%s report written to %s\n", *format, *output)
	}
	return report.ExitCode
}
