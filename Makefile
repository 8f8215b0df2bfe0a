# ecs-compliance — one Makefile for building, testing, the demo and deploying.
# Everything it needs beyond Go and Node is installed at pinned versions under
# .tools/ (Go tools) and cdk/node_modules/ (CDK CLI, asl-validator).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

GO      ?= go
TOOLS   := $(CURDIR)/.tools/bin
OPA     := $(TOOLS)/opa
REGAL   := $(TOOLS)/regal
RIE     := $(TOOLS)/aws-lambda-rie
STATICCHECK := $(TOOLS)/staticcheck
NODE_BIN := $(CURDIR)/cdk/node_modules/.bin

STATICCHECK_VERSION := v0.8.2
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
POLICY_COVERAGE_MIN := 90

# Every folder of lambdas/ with a main.go is a Lambda function.
LAMBDAS    := $(sort $(patsubst lambdas/%/main.go,%,$(wildcard lambdas/*/main.go)))
BOOTSTRAPS := $(LAMBDAS:%=.build/lambdas/%/bootstrap)
GO_SOURCES := $(shell find lambdas statemachine policies -name '*.go' -not -name '*_test.go') go.mod go.sum
# What the ecs-compliance command embeds besides Go: both state machines and
# the policy bundle (policies.FS: data.json and ecs/).
EMBEDDED   := $(wildcard statemachine/*.asl.json) policies/data.json $(shell find policies/ecs -type f)

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_DISABLE_CLI_TELEMETRY := true

CDK_ARGS ?=

DEMO_EVENTS := test/events/ecr-service-task.json test/events/dockerhub-service-task.json \
	test/events/dockerhub-service-task-running.json test/events/dockerhub-service-task-second.json

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# ---------------------------------------------------------------- the demo

.PHONY: demo
demo: ## run the workflow offline on sample events, against an in-memory AWS account, and write the execution pages
	@echo "ecs-compliance demo: the deployed workflow, run offline on ECS task events against an in-memory"
	@echo "AWS account (test/worlds/demo.json), in enforce mode. Each event goes through the Express triage;"
	@echo "the Standard workflow runs only when there is something to judge or to remediate. Four events, in order:"
	@echo "  1. a service task whose image comes from the account's own ECR -> judged compliant, nothing changed"
	@echo "  2. a service task with a Docker Hub image (nginx:1.25)         -> judged, service scaled to 0, task stopped,"
	@echo "                                                                    task definition deregistered, reported"
	@echo "  3. the next event of that same task                            -> skipped by the triage as a duplicate"
	@echo "  4. another task of that task definition                        -> stopped on the stored judgement, no new"
	@echo "                                                                    message: the incident's findings count 2 tasks"
	@mkdir -p .build
	@$(GO) run ./statemachine/ecs-compliance --mode enforce --world test/worlds/demo.json --html .build/demo.html $(DEMO_EVENTS)
	@echo
	@echo "Then the same violation with approval on: the simulated approver opens the signed link and approves."
	@$(GO) run ./statemachine/ecs-compliance --mode enforce --approval approve --world test/worlds/demo.json \
		--html .build/demo-approval.html test/events/dockerhub-service-task.json
	@echo
	@echo "Open .build/demo.html in a browser to see the executions: both state machines drawn, the path each event"
	@echo "took, and each state's input and output on a click (.build/demo-approval.html: the approval run)."

.PHONY: readme-diagram
readme-diagram: ## draw the README's state machine diagram again from the ASL files (ecs-compliance diagram)
	$(GO) test ./statemachine/ecs-compliance -run TestREADMEDiagramIsTheGeneratedOne -update

.PHONY: fleet-replay
fleet-replay: ## generate the 800-task-start fleet and replay it in audit and enforce mode (the README's cost figures)
	@mkdir -p .build
	$(GO) run ./statemachine/ecs-compliance fleet --task-starts 800 --out .build/fleet
	$(GO) run ./statemachine/ecs-compliance replay .build/fleet
	$(GO) run ./statemachine/ecs-compliance fleet --task-starts 800 --violating 3 --out .build/fleet-enforce
	$(GO) run ./statemachine/ecs-compliance replay --mode enforce .build/fleet-enforce

# ---------------------------------------------------------------- build

.PHONY: build
build: $(BOOTSTRAPS) .build/bin/ecs-compliance ## build every Lambda as a linux/arm64 bootstrap under .build/lambdas/, and the ecs-compliance command

.build/bin/ecs-compliance: $(GO_SOURCES) $(EMBEDDED)
	@mkdir -p $(@D)
	$(GO) build -trimpath -o $@ ./statemachine/ecs-compliance

.build/lambdas/%/bootstrap: $(GO_SOURCES)
	@mkdir -p $(@D)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' -o $@ ./lambdas/$*

# ---------------------------------------------------------------- tests

.PHONY: test
test: lint unit policy-test asl-validate cdk-test e2e check-example ## everything CI runs (cdk-test runs cfn-lint on three synthesized variants)

.PHONY: unit
unit: ## Go unit tests of every package but the CDK app and the end-to-end tests
	$(GO) test -cover $$($(GO) list ./... | grep -v -e '/cdk$$' -e '/test$$')

.PHONY: e2e
e2e: $(RIE) ## end-to-end tests: the local executor over test/ fixtures, each Lambda under the RIE, the pages in headless Chromium
	RIE=$(RIE) RIE_REQUIRED=1 $(GO) test -count=1 ./test/...

.PHONY: check-example
check-example: .build/bin/ecs-compliance ## ecs-compliance check on the sample task definitions and templates: each gives its documented exit status
	@$(call expect_check,0,test/taskdefs/hardened.json)
	@$(call expect_check,1,test/taskdefs/unapproved-registry.json)
	@$(call expect_check,0,test/taskdefs/register-input.json)
	@$(call expect_check,1,test/taskdefs/ghcr-sidecar.yaml)
	@$(call expect_check,0,test/templates/hardened.json)
	@$(call expect_check,1,test/templates/service.yaml)
	@$(call expect_check,0,test/templates/sam-app.yaml)
	@$(call expect_check,1,test/templates/cdk-assembly)
	@$(call expect_check,2,test/templates/no-task-definition.yaml)

# expect_check,STATUS,ARGS: ecs-compliance check ARGS (account and region of
# the samples) must exit with STATUS. It runs the binary `make build` makes
# (go run reports every failure as exit status 1), rebuilt when a Go file,
# a state machine or a policy file changed.
define expect_check
code=0; .build/bin/ecs-compliance check --account 123456789012 --region us-east-1 $(2) > /dev/null 2>&1 || code=$$?; \
if [ "$$code" != "$(1)" ]; then echo "check-example: ecs-compliance check $(2): exit $$code, want $(1)"; exit 1; fi; \
echo "  exit $$code  ecs-compliance check $(2)"
endef

.PHONY: cdk-test
cdk-test: ## CDK assertions, cdk-nag and cfn-lint on three variants (jsii reads files Go's test cache cannot see: -count=1)
	$(GO) test -count=1 ./cdk/...

# cfn-lint is a pip package, not pinned here: installed on CI machines, which
# set CFN_LINT_REQUIRED=1 (.ci/run). W3005 is CDK's redundant DependsOn on a
# function's role (see cdk/cfnlint_test.go); any other warning fails.
CFN_LINT ?= cfn-lint

.PHONY: cfn-lint
cfn-lint: synth ## cfn-lint on cdk.out/ (skipped with a message when cfn-lint is missing; CFN_LINT_REQUIRED=1 makes that a failure)
	@if ! command -v $(CFN_LINT) >/dev/null 2>&1; then \
		if [ "$${CFN_LINT_REQUIRED:-}" = 1 ]; then echo "cfn-lint: not installed, and CFN_LINT_REQUIRED=1 (pip install cfn-lint)"; exit 1; fi; \
		echo "cfn-lint: SKIPPED, not installed (pip install cfn-lint): cdk.out/*.template.json NOT linted"; exit 0; \
	fi; \
	$(CFN_LINT) --version; \
	$(CFN_LINT) --ignore-checks W3005 -- cdk.out/*.template.json && echo "cfn-lint: no finding in cdk.out/*.template.json"

.PHONY: policy-test
policy-test: $(OPA) $(REGAL) ## opa test (Rego coverage >= 90%), opa check --strict, opa fmt, Regal lint
	$(OPA) test policies --ignore .regal
	@mkdir -p .build
	$(OPA) test policies --ignore .regal --coverage --format json > .build/policy-coverage.json
	$(GO) run ./policies/cmd/coverage -min $(POLICY_COVERAGE_MIN) < .build/policy-coverage.json
	$(OPA) check --strict policies
	$(OPA) fmt --fail --diff policies
	$(REGAL) lint policies

.PHONY: asl-validate
asl-validate: cdk/node_modules ## validate both state machines' definitions with asl-validator
	$(NODE_BIN)/asl-validator --json-path statemachine/workflow.asl.json --json-path statemachine/triage.asl.json

# ---------------------------------------------------------------- benchmarks

BENCH_RAW   := .build/bench-raw.txt
BENCH_TABLE := .build/bench.txt

# bench_run,PACKAGE,BENCHMARKS,BENCHTIME: appends the package's benchmarks'
# output to $(BENCH_RAW); a failure is noted (status=1) and the others run.
define bench_run
echo "  go test -bench '$(2)' -benchtime $(3) ./$(1)"; \
$(GO) test -run '^$$' -bench '$(2)' -benchmem -benchtime $(3) ./$(1) >> $(BENCH_RAW) 2>&1 || { echo "    FAILED (its output is in $(BENCH_RAW))"; status=1; };
endef

.PHONY: bench
bench: ## the performance figures with their targets, one table (.build/bench.txt; go test's output in .build/bench-raw.txt)
	@mkdir -p .build; : > $(BENCH_RAW); status=0; \
	$(call bench_run,lambdas/steps/evaluate,^BenchmarkEvaluate(CompileEachTime)?$$,1s) \
	$(call bench_run,lambdas/policy,^BenchmarkInputValue$$,1s) \
	$(call bench_run,statemachine/offline,^BenchmarkTimeToStop$$,1s) \
	$(call bench_run,test,^Benchmark(ColdStart|LambdaBinarySize)$$,20x) \
	$(call bench_run,statemachine/replay,^BenchmarkReplay$$,5x) \
	$(call bench_run,statemachine/check,^BenchmarkCheckFleet$$,5x) \
	$(call bench_run,lambdas/report,^Benchmark(Message|Findings)$$,1s) \
	$(call bench_run,lambdas/approval,^Benchmark(Sign|Verify)$$,1s) \
	echo; $(GO) run ./test/benchtable -lambdas "$(LAMBDAS)" -o $(BENCH_TABLE) < $(BENCH_RAW); \
	exit $$status

.PHONY: bench-readme
bench-readme: ## put the table of the last `make bench` (.build/bench.txt) in the README
	@test -f $(BENCH_TABLE) || { echo "bench-readme: no $(BENCH_TABLE): run make bench first"; exit 1; }
	$(GO) run ./test/benchtable -readme README.md -table $(BENCH_TABLE)

# ---------------------------------------------------------------- lint

.PHONY: lint
lint: $(STATICCHECK) $(OPA) ## gofmt, go vet, staticcheck, go mod tidy check, opa fmt and opa check
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	$(GO) mod tidy -diff
	$(OPA) fmt --fail --diff policies
	$(OPA) check --strict policies

# ---------------------------------------------------------------- deploy

.PHONY: synth
synth: build cdk/node_modules ## cdk synth into cdk.out/ (offline: no AWS credentials needed; CDK_ARGS='-c mode=enforce ...')
	$(NODE_BIN)/cdk synth --quiet $(CDK_ARGS)

.PHONY: deploy
deploy: build cdk/node_modules ## cdk deploy (needs AWS credentials; CDK_ARGS='-c mode=enforce ...')
	$(NODE_BIN)/cdk deploy $(CDK_ARGS)

# ---------------------------------------------------------------- tools

.PHONY: tools
tools: $(OPA) $(REGAL) $(RIE) $(STATICCHECK) cdk/node_modules ## install the pinned tools

cdk/node_modules: cdk/package.json cdk/package-lock.json
	cd cdk && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(STATICCHECK):
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(RIE):
	GOBIN=$(TOOLS) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

# The project's OPA: the upstream CLI plus the image.parse built-in.
$(OPA): go.mod go.sum policies/cmd/opa/main.go $(wildcard lambdas/policy/builtins/*.go lambdas/policy/builtins/*/*.go)
	$(GO) build -o $@ ./policies/cmd/opa

$(REGAL): .tools/regal/go.mod .tools/regal/go.sum
	cd .tools/regal && $(GO) build -o $(REGAL) github.com/styrainc/regal

.PHONY: clean
clean: ## remove build outputs (keeps installed tools)
	rm -rf .build cdk.out
