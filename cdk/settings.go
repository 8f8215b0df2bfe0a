package main

import (
	"errors"
	"fmt"
	"math"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/policy/builtins/registry"
)

// Context keys: `cdk synth -c KEY=VALUE`, or "context" in cdk.json.
const (
	ctxMode                   = "mode"
	ctxApproval               = "approval"
	ctxApprovalTimeoutSeconds = "approvalTimeoutSeconds"
	ctxApprovedRegistries     = "approvedRegistries"
	ctxNotificationEmail      = "notificationEmail"
	ctxExcludedClusters       = "excludedClusters"
	ctxLogRetentionDays       = "logRetentionDays"
	ctxPolicyPath             = "policyPath"
	ctxExcludedServices       = "excludedServices"
	ctxJudgementTTLHours      = "judgementTtlHours"
	ctxRegistrationRule       = "judgeRegistrations"
)

// Settings are the deployment's choices, read from the CDK context.
type Settings struct {
	// Mode is "audit" (report only) or "enforce" (remediate deny-level
	// violations): the evaluate step's MODE.
	Mode string
	// Approval is "off" or "on": whether remediation waits for a person
	// (the evaluate step's APPROVAL).
	Approval string
	// ApprovalTimeoutSeconds is how long "Wait for approval" waits.
	ApprovalTimeoutSeconds int
	// ApprovedRegistries replaces ecs.config.registries in the bundle's
	// data.json; empty keeps data.json as it is (whose empty list means the
	// account's own ECR in its region).
	ApprovedRegistries []string
	// NotificationEmail, when set, subscribes that address to the topic.
	NotificationEmail string
	// ExcludedClusters are cluster names or ARNs whose tasks the rule ignores.
	ExcludedClusters []string
	// LogRetentionDays is the retention of every log group of the stack.
	LogRetentionDays int
	// PolicyPath is the Parameter Store path of the policy bundle.
	PolicyPath string
	// ExcludedServices are CLUSTER/SERVICE names whose task definitions the
	// remediation never deregisters (deregister-task-definition's
	// EXCLUDED_SERVICES). Their tasks are judged, reported and remediated
	// like any other; only the revision they run stays registered.
	ExcludedServices []string
	// JudgementTTLHours is how long a judgement holds (exemptions that
	// expire earlier bound it).
	JudgementTTLHours int
	// JudgeRegistrations is "on" (default) or "off": whether the rule on
	// CloudTrail's RegisterTaskDefinition judges new revisions before any
	// task runs them.
	JudgeRegistrations string
}

// DefaultSettings are what a deploy without any context gets: audit mode, so
// that a first deploy changes nothing in the account.
func DefaultSettings() Settings {
	return Settings{
		Mode:                   "audit",
		Approval:               "off",
		ApprovalTimeoutSeconds: 86400,
		LogRetentionDays:       30,
		PolicyPath:             bundle.DefaultPath,
		JudgementTTLHours:      720,
		JudgeRegistrations:     "on",
	}
}

// MaxApprovalTimeoutSeconds is the longest the workflow waits for an
// approval: 30 days, so that the wait always ends before the workflow's own
// TimeoutSeconds (35 days, statemachine/workflow.asl.json) and the timeout
// is reported, never cut off.
const MaxApprovalTimeoutSeconds = 30 * 24 * 3600

// MinApprovalTimeoutSeconds leaves a person at least a minute to answer.
const MinApprovalTimeoutSeconds = 60

// logRetentionDays are the retention periods CloudWatch Logs accepts.
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

var (
	// clusterNamePattern: ECS cluster names.
	clusterNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,255}$`)
	// policyPathSegment: one level of a Parameter Store path.
	policyPathSegment = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)
)

// ParseSettings reads the settings through get (the app's TryGetContext),
// applies the defaults and validates every value. The error lists every bad
// setting, each naming its context key.
func ParseSettings(get func(key string) any) (Settings, error) {
	s := DefaultSettings()
	var errs []error
	bad := func(key string, err error) {
		errs = append(errs, fmt.Errorf("context %q: %w", key, err))
	}
	str := func(key string, dst *string, lower bool) {
		v, ok, err := contextString(get(key))
		switch {
		case err != nil:
			bad(key, err)
		case ok && lower:
			*dst = strings.ToLower(v)
		case ok:
			*dst = v
		}
	}
	num := func(key string, dst *int) {
		if v, ok, err := contextInt(get(key)); err != nil {
			bad(key, err)
		} else if ok {
			*dst = v
		}
	}
	list := func(key string, dst *[]string) {
		if v, err := contextList(get(key)); err != nil {
			bad(key, err)
		} else {
			*dst = v
		}
	}
	str(ctxMode, &s.Mode, true)
	str(ctxApproval, &s.Approval, true)
	num(ctxApprovalTimeoutSeconds, &s.ApprovalTimeoutSeconds)
	list(ctxApprovedRegistries, &s.ApprovedRegistries)
	str(ctxNotificationEmail, &s.NotificationEmail, false)
	list(ctxExcludedClusters, &s.ExcludedClusters)
	num(ctxLogRetentionDays, &s.LogRetentionDays)
	str(ctxPolicyPath, &s.PolicyPath, false)
	list(ctxExcludedServices, &s.ExcludedServices)
	num(ctxJudgementTTLHours, &s.JudgementTTLHours)
	str(ctxRegistrationRule, &s.JudgeRegistrations, true)
	if len(errs) > 0 {
		return Settings{}, fmt.Errorf("invalid settings:\n%w", errors.Join(errs...))
	}
	if err := s.Validate(); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// Validate checks every setting; the error names each bad one's context key.
func (s Settings) Validate() error {
	var errs []error
	bad := func(key string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("context %q: %s", key, fmt.Sprintf(format, args...)))
	}
	if s.Mode != "audit" && s.Mode != "enforce" {
		bad(ctxMode, "%q is neither audit nor enforce", s.Mode)
	}
	if s.Approval != "off" && s.Approval != "on" {
		bad(ctxApproval, "%q is neither off nor on", s.Approval)
	}
	if v := s.ApprovalTimeoutSeconds; v < MinApprovalTimeoutSeconds || v > MaxApprovalTimeoutSeconds {
		bad(ctxApprovalTimeoutSeconds, "%d is outside %d..%d seconds (one minute to 30 days)", v, MinApprovalTimeoutSeconds, MaxApprovalTimeoutSeconds)
	}
	for _, r := range s.ApprovedRegistries {
		// The policy's own parser (image.registry): what it accepts — every
		// host form of an image reference, IPv6 literals and ports included
		// — the setting accepts, and nothing the bundle would then refuse.
		switch e := registry.ParseEntry(r); {
		case strings.Contains(r, "://"):
			bad(ctxApprovedRegistries, "%q: give the registry as it starts an image reference, without a scheme (e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com)", r)
		case !e.Valid:
			bad(ctxApprovedRegistries, "%q is not a registry host (with optional :port and /repository prefix): %s", r, e.Error)
		}
	}
	if v := s.NotificationEmail; v != "" {
		addr, err := mail.ParseAddress(v)
		switch {
		case err != nil:
			bad(ctxNotificationEmail, "%q is not an email address: %v", v, err)
		case addr.Address != v || !strings.Contains(v[strings.LastIndex(v, "@")+1:], "."):
			bad(ctxNotificationEmail, "%q: give a bare address such as secops@example.com", v)
		}
	}
	for _, c := range s.ExcludedClusters {
		if err := validateCluster(c); err != nil {
			bad(ctxExcludedClusters, "%v", err)
		}
	}
	if !slices.Contains(logRetentionDays, s.LogRetentionDays) {
		bad(ctxLogRetentionDays, "%d is not a CloudWatch Logs retention; use one of %v", s.LogRetentionDays, logRetentionDays)
	}
	if err := validatePolicyPath(s.PolicyPath); err != nil {
		bad(ctxPolicyPath, "%v", err)
	}
	for _, svc := range s.ExcludedServices {
		cluster, name, ok := strings.Cut(svc, "/")
		if !ok || !clusterNamePattern.MatchString(cluster) || !clusterNamePattern.MatchString(name) {
			bad(ctxExcludedServices, "%q is not CLUSTER/SERVICE (names of letters, digits, - and _)", svc)
		}
	}
	if v := s.JudgementTTLHours; v < 1 || v > 8760 {
		bad(ctxJudgementTTLHours, "%d is outside 1..8760 hours", v)
	}
	if s.JudgeRegistrations != "on" && s.JudgeRegistrations != "off" {
		bad(ctxRegistrationRule, "%q is neither on nor off", s.JudgeRegistrations)
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid settings:\n%w", errors.Join(errs...))
	}
	return nil
}

// validateCluster accepts an ECS cluster name or cluster ARN.
func validateCluster(c string) error {
	if !strings.HasPrefix(c, "arn:") {
		if !clusterNamePattern.MatchString(c) {
			return fmt.Errorf("%q is neither a cluster name (letters, digits, - and _, at most 255) nor a cluster ARN", c)
		}
		return nil
	}
	a, err := arn.Parse(c)
	if err != nil {
		return fmt.Errorf("%q: %v", c, err)
	}
	name, ok := strings.CutPrefix(a.Resource, "cluster/")
	if a.Service != "ecs" || !ok || !clusterNamePattern.MatchString(name) {
		return fmt.Errorf("%q is not an ECS cluster ARN (arn:aws:ecs:REGION:ACCOUNT:cluster/NAME)", c)
	}
	return nil
}

// ClusterArns turns the excluded clusters into cluster ARNs of the stack's
// account and region, the form the events carry in detail.clusterArn. An
// ARN of another account or region is an error: that cluster's events never
// reach this rule.
func (s Settings) ClusterArns(partition, region, account string) ([]string, error) {
	var arns []string
	var errs []error
	for _, c := range s.ExcludedClusters {
		if !strings.HasPrefix(c, "arn:") {
			arns = append(arns, arn.ARN{Partition: partition, Service: "ecs", Region: region, AccountID: account, Resource: "cluster/" + c}.String())
			continue
		}
		a, err := arn.Parse(c)
		if err != nil {
			errs = append(errs, fmt.Errorf("context %q: %q: %v", ctxExcludedClusters, c, err))
			continue
		}
		if a.Partition != partition || a.Region != region || a.AccountID != account {
			errs = append(errs, fmt.Errorf("context %q: %q is not in this stack's account %s and region %s", ctxExcludedClusters, c, account, region))
			continue
		}
		arns = append(arns, c)
	}
	slices.Sort(arns)
	return slices.Compact(arns), errors.Join(errs...)
}

// validatePolicyPath checks a Parameter Store path for the bundle.
func validatePolicyPath(p string) error {
	if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		return fmt.Errorf("%q: a path starts with / and does not end with one (e.g. %s)", p, bundle.DefaultPath)
	}
	segments := strings.Split(p[1:], "/")
	for _, seg := range segments {
		if !policyPathSegment.MatchString(seg) {
			return fmt.Errorf("%q: each level holds only letters, digits, '.', '-' and '_'", p)
		}
	}
	if first := strings.ToLower(segments[0]); strings.HasPrefix(first, "aws") || strings.HasPrefix(first, "ssm") {
		return fmt.Errorf("%q: paths beginning with aws or ssm are reserved by Parameter Store", p)
	}
	// A parameter name has at most 15 levels; the bundle nests files a few
	// levels below the path.
	if len(segments) > 10 {
		return fmt.Errorf("%q has %d levels; keep it to 10 so the bundle's files fit in Parameter Store's 15", p, len(segments))
	}
	return nil
}

// contextString reads a string setting; ok is false when it is not set.
func contextString(v any) (s string, ok bool, err error) {
	switch v := v.(type) {
	case nil:
		return "", false, nil
	case string:
		v = strings.TrimSpace(v)
		return v, v != "", nil
	default:
		return "", false, fmt.Errorf("want a string, got %v (%T)", v, v)
	}
}

// contextInt reads a whole-number setting given as a JSON number (cdk.json)
// or a string (-c key=value).
func contextInt(v any) (n int, ok bool, err error) {
	switch v := v.(type) {
	case nil:
		return 0, false, nil
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > math.MaxInt32 {
			return 0, false, fmt.Errorf("want a whole number, got %v", v)
		}
		return int(v), true, nil
	case int:
		return v, true, nil
	case string:
		v = strings.TrimSpace(v)
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, false, fmt.Errorf("want a whole number, got %q", v)
		}
		return n, true, nil
	default:
		return 0, false, fmt.Errorf("want a whole number, got %v (%T)", v, v)
	}
}

// contextList reads a list setting given as a JSON list of strings
// (cdk.json) or a comma-separated string (-c key=a,b). Blank items are
// dropped and duplicates removed, keeping the first.
func contextList(v any) ([]string, error) {
	var items []string
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		items = strings.Split(v, ",")
	case []string:
		items = v
	case []any:
		for _, it := range v {
			s, ok := it.(string)
			if !ok {
				return nil, fmt.Errorf("want a list of strings, got the item %v (%T)", it, it)
			}
			items = append(items, s)
		}
	default:
		return nil, fmt.Errorf("want a list of strings or a comma-separated string, got %v (%T)", v, v)
	}
	var out []string
	for _, it := range items {
		it = strings.TrimSpace(it)
		if it != "" && !slices.Contains(out, it) {
			out = append(out, it)
		}
	}
	return out, nil
}
