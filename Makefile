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

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_DISABLE_CLI_TELEMETRY := true

CDK_ARGS ?=

DEMO_EVENTS := test/events/ecr-service-task.json test/events/dockerhub-service-task.json test/events/dockerhub-service-task-running.json

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# ---------------------------------------------------------------- the demo

.PHONY: demo
demo: ## run the workflow offline on sample events, against an in-memory AWS account
	@echo "ecs-compliance demo: the deployed workflow, run offline on ECS task events against an in-memory"
	@echo "AWS account (test/worlds/demo.json), in enforce mode. Three events, in order:"
	@echo "  1. a service task whose image comes from the account's own ECR -> allowed, nothing changed"
	@echo "  2. a service task with a Docker Hub image (nginx:1.25)         -> service scaled to 0, task stopped,"
	@echo "                                                                    task definition deregistered, reported"
	@echo "  3. the next event of that same task                            -> skipped as a duplicate"
	@$(GO) run ./statemachine/local --mode enforce --world test/worlds/demo.json $(DEMO_EVENTS)
	@echo
	@echo "Then the same violation with approval on: the simulated approver opens the signed link and approves."
	@$(GO) run ./statemachine/local --mode enforce --approval approve --world test/worlds/demo.json test/events/dockerhub-service-task.json

# ---------------------------------------------------------------- build

.PHONY: build
build: $(BOOTSTRAPS) ## build every Lambda as a linux/arm64 bootstrap under .build/lambdas/

.build/lambdas/%/bootstrap: $(GO_SOURCES)
	@mkdir -p $(@D)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' -o $@ ./lambdas/$*

# ---------------------------------------------------------------- tests

.PHONY: test
test: lint unit policy-test asl-validate cdk-test e2e ## everything CI runs

.PHONY: unit
unit: ## Go unit tests of every package but the CDK app and the end-to-end tests
	$(GO) test -cover $$($(GO) list ./... | grep -v -e '/cdk$$' -e '/test$$')

.PHONY: e2e
e2e: $(RIE) ## end-to-end tests: the local executor over test/ fixtures, and each Lambda under the RIE
	RIE=$(RIE) RIE_REQUIRED=1 $(GO) test -count=1 ./test/...

.PHONY: cdk-test
cdk-test: ## CDK assertions and cdk-nag (jsii reads files Go's test cache cannot see: -count=1)
	$(GO) test -count=1 ./cdk/...

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
asl-validate: cdk/node_modules ## validate the workflow definition with asl-validator
	$(NODE_BIN)/asl-validator --json-path statemachine/workflow.asl.json

.PHONY: bench
bench: ## benchmarks: policy evaluation (prepared vs compiled per event), reports, links, Lambda binary sizes
	$(GO) test -run '^$$' -bench . -benchmem $$($(GO) list ./... | grep -v -e '/cdk$$')

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
$(OPA): go.mod go.sum policies/cmd/opa/main.go lambdas/policy/builtins/builtins.go
	$(GO) build -o $@ ./policies/cmd/opa

$(REGAL): .tools/regal/go.mod .tools/regal/go.sum
	cd .tools/regal && $(GO) build -o $(REGAL) github.com/styrainc/regal

.PHONY: clean
clean: ## remove build outputs (keeps installed tools)
	rm -rf .build cdk.out
