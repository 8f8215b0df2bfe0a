package check

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/policy"
	"github.com/ecs-compliance/ecs-compliance/lambdas/safe"
)

// SARIF 2.1.0 output, for code-scanning UIs (GitHub code scanning, Azure
// DevOps, VS Code's SARIF viewer): one reporting descriptor per policy rule
// (from its METADATA), one result per finding located at the file and the
// task definition (its logical id's line in a template, its container's
// where known). Deny-level violations are errors, warnings warnings, and
// exempted findings notes with a suppression. Unknown values, unmapped
// properties and input errors are tool execution notifications.

// SARIFSchema is the $schema the log names.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
	Properties  map[string]any    `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name          string            `json:"name"`
	FullName      string            `json:"fullName,omitempty"`
	Rules         []sarifDescriptor `json:"rules"`
	Notifications []sarifDescriptor `json:"notifications,omitempty"`
}

type sarifDescriptor struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name,omitempty"`
	ShortDescription     *sarifMessage   `json:"shortDescription,omitempty"`
	FullDescription      *sarifMessage   `json:"fullDescription,omitempty"`
	Help                 *sarifMessage   `json:"help,omitempty"`
	DefaultConfiguration *sarifConfig    `json:"defaultConfiguration,omitempty"`
	Properties           *sarifRuleProps `json:"properties,omitempty"`
}

type sarifMessage struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifConfig struct {
	Enabled *bool  `json:"enabled,omitempty"`
	Level   string `json:"level"`
}

type sarifRuleProps struct {
	SecuritySeverity string   `json:"security-severity"`
	Severity         string   `json:"severity"`
	Enforcement      string   `json:"enforcement"`
	Controls         []string `json:"controls"`
	Tags             []string `json:"tags"`
	Precision        string   `json:"precision"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ExitCode                   int                 `json:"exitCode"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Descriptor sarifReference  `json:"descriptor"`
	Level      string          `json:"level"`
	Message    sarifMessage    `json:"message"`
	Locations  []sarifLocation `json:"locations,omitempty"`
}

type sarifReference struct {
	ID string `json:"id"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifMessage       `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind,omitempty"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
}

// securitySeverity maps ASFF severity labels to the CVSS-like scores GitHub
// code scanning reads from a rule's security-severity (critical ≥ 9.0,
// high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9), at the middle of ASFF's own
// normalized ranges.
var securitySeverity = map[string]string{
	contract.SeverityCritical:      "9.5",
	contract.SeverityHigh:          "8.0",
	contract.SeverityMedium:        "5.5",
	contract.SeverityLow:           "2.0",
	contract.SeverityInformational: "0.0",
}

// levels are SARIF levels by enforcement.
var levels = map[string]string{"deny": "error", "warn": "warning", "off": "none"}

const (
	notifyInputError = "input-error"
	notifyUnknown    = "unknown-value"
	notifyUnmapped   = "unmapped-property"
)

// SARIF writes the report as a SARIF 2.1.0 log.
func (r *Report) SARIF(w io.Writer) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:     "ecs-compliance",
			FullName: "ecs-compliance check: ECS task definitions against the compliance policy",
			Rules:    []sarifDescriptor{},
			Notifications: []sarifDescriptor{
				{ID: notifyInputError, Name: "InputError", ShortDescription: &sarifMessage{Text: "A file could not be read or judged."}},
				{ID: notifyUnknown, Name: "UnknownValue", ShortDescription: &sarifMessage{Text: "A value built with an intrinsic function is known only at deploy time; it was left out, not guessed."}},
				{ID: notifyUnmapped, Name: "UnmappedProperty", ShortDescription: &sarifMessage{Text: "A template property has no ECS API equivalent in the mapping; it was left out."}},
			},
		}},
		Results: []sarifResult{},
		Properties: map[string]any{
			"mode":         string(r.Mode),
			"policySource": r.Policy.Source,
			"policyHash":   r.Policy.Hash,
		},
	}
	index := map[string]int{}
	for _, rule := range r.rules {
		index[rule.ID] = len(run.Tool.Driver.Rules)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, ruleDescriptor(rule))
	}
	inv := sarifInvocation{ExecutionSuccessful: r.ExitCode != ExitBadInput, ExitCode: r.ExitCode}
	for _, f := range r.Files {
		uri := r.uri(f.File)
		for _, e := range f.Errors {
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
				Descriptor: sarifReference{ID: notifyInputError},
				Level:      "error",
				Message:    sarifMessage{Text: e.Error()},
				Locations:  []sarifLocation{{PhysicalLocation: physical(uri, e.Line)}},
			})
		}
		for _, td := range f.TaskDefinitions {
			logical := []sarifLogical{{Name: td.Name, FullyQualifiedName: qualifiedName(td), Kind: "resource"}}
			for _, u := range td.Unknown {
				inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
					Descriptor: sarifReference{ID: notifyUnknown},
					Level:      "warning",
					Message:    sarifMessage{Text: fmt.Sprintf("%s: %s = %s is unknown: %s; left out, not guessed", td.Name, u.Field, u.Expression, u.Reason)},
					Locations:  []sarifLocation{{PhysicalLocation: physical(uri, u.Line), LogicalLocations: logical}},
				})
			}
			for _, u := range td.Unmapped {
				inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
					Descriptor: sarifReference{ID: notifyUnmapped},
					Level:      "warning",
					Message:    sarifMessage{Text: fmt.Sprintf("%s: %s", td.Name, u.Message)},
					Locations:  []sarifLocation{{PhysicalLocation: physical(uri, u.Line), LogicalLocations: logical}},
				})
			}
			d := td.Decision
			for _, group := range []struct {
				level string
				items []contract.Violation
			}{{"error", d.Violations}, {"warning", d.Warnings}, {"note", d.Exempted}} {
				for _, v := range group.items {
					i, ok := index[v.Rule]
					if !ok {
						// A finding of a rule without METADATA: describe it
						// from the finding so that the log stays valid.
						i = len(run.Tool.Driver.Rules)
						index[v.Rule] = i
						run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, ruleDescriptor(policy.Rule{
							ID: v.Rule, Title: v.Title, Severity: v.Severity, Controls: v.Controls,
							Remediation: v.Remediation, Enforcement: v.Enforcement, DefaultEnforcement: v.Enforcement,
						}))
					}
					run.Results = append(run.Results, r.result(uri, td, v, i, group.level, logical))
				}
			}
		}
	}
	run.Invocations = []sarifInvocation{inv}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}

func (r *Report) result(uri string, td TaskDefinition, v contract.Violation, ruleIndex int, level string, logical []sarifLogical) sarifResult {
	line := td.Line
	if v.Container != "" {
		for _, c := range td.containers {
			if c.name == v.Container && c.line > 0 {
				line = c.line
				logical = append(logical, sarifLogical{Name: v.Container, FullyQualifiedName: qualifiedName(td) + "/containerDefinitions/" + v.Container, Kind: "object"})
				break
			}
		}
	}
	msg := fmt.Sprintf("%s: %s", td.Name, safe.Line(v.Message))
	if td.LogicalID == "" {
		msg = fmt.Sprintf("Task definition %s: %s", td.Name, safe.Line(v.Message))
	}
	res := sarifResult{
		RuleID:    v.Rule,
		RuleIndex: ruleIndex,
		Level:     level,
		Message:   sarifMessage{Text: msg},
		Locations: []sarifLocation{{PhysicalLocation: physical(uri, line), LogicalLocations: logical}},
		PartialFingerprints: map[string]string{
			"ecsComplianceFinding/v1": fingerprint(uri, td.Name, v.Rule, v.Container, v.Message),
		},
		Properties: map[string]any{
			"severity":    v.Severity,
			"enforcement": v.Enforcement,
			"container":   v.Container,
			"controls":    v.Controls,
		},
	}
	if v.Exemption != nil {
		why := v.Exemption.Reason
		if v.Exemption.Expires != "" {
			why += " (expires " + v.Exemption.Expires + ")"
		}
		res.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: "exempted by the policy configuration: " + why}}
	}
	return res
}

func ruleDescriptor(rule policy.Rule) sarifDescriptor {
	title := rule.Title
	if title == "" {
		title = rule.ID
	}
	desc := rule.Description
	if desc == "" {
		desc = title + "."
	}
	controls := strings.Join(rule.Controls, "; ")
	if controls == "" {
		controls = "none"
	}
	text := fmt.Sprintf("%s\n\nRemediation: %s\n\nControls: %s\n\nEnforcement: %s (default %s). Severity: %s.",
		desc, orNone(rule.Remediation), controls, rule.Enforcement, rule.DefaultEnforcement, rule.Severity)
	md := fmt.Sprintf("**%s**\n\n%s\n\n**Remediation:** %s\n\n**Controls:** %s\n\n**Enforcement:** `%s` (default `%s`). **Severity:** %s.",
		title, desc, orNone(rule.Remediation), controls, rule.Enforcement, rule.DefaultEnforcement, rule.Severity)
	cfg := &sarifConfig{Level: levels[rule.Enforcement]}
	if cfg.Level == "" {
		cfg.Level = "note"
	}
	if rule.Enforcement == "off" {
		off := false
		cfg.Enabled = &off
	}
	sev, ok := securitySeverity[rule.Severity]
	if !ok {
		sev = "0.0"
	}
	tags := []string{"security", "ecs"}
	if rule.Platform != "" && rule.Platform != "any" {
		tags = append(tags, rule.Platform)
	}
	return sarifDescriptor{
		ID:                   rule.ID,
		Name:                 pascal(rule.ID),
		ShortDescription:     &sarifMessage{Text: title},
		FullDescription:      &sarifMessage{Text: desc},
		Help:                 &sarifMessage{Text: text, Markdown: md},
		DefaultConfiguration: cfg,
		Properties: &sarifRuleProps{
			SecuritySeverity: sev,
			Severity:         rule.Severity,
			Enforcement:      rule.Enforcement,
			Controls:         append([]string{}, rule.Controls...),
			Tags:             tags,
			Precision:        "very-high",
		},
	}
}

func orNone(s string) string {
	if s == "" {
		return "none given"
	}
	return s
}

// pascal turns a rule id into a SARIF rule name: approved_registries →
// ApprovedRegistries.
func pascal(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func qualifiedName(td TaskDefinition) string {
	if td.CDKPath != "" {
		return td.CDKPath
	}
	return td.Name
}

func physical(uri string, line int) *sarifPhysical {
	p := &sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri}}
	if line > 0 {
		p.Region = &sarifRegion{StartLine: line}
	}
	return p
}

// uri is a file's artifact URI: relative to the base folder (the
// repository's root in CI) when the file is under it, else an absolute
// file: URI.
func (r *Report) uri(file string) string {
	p := filepath.FromSlash(file)
	abs, err := filepath.Abs(p)
	if err == nil && r.baseDir != "" {
		if rel, err := filepath.Rel(r.baseDir, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return (&url.URL{Path: filepath.ToSlash(rel)}).String()
		}
	}
	if err != nil {
		return (&url.URL{Path: filepath.ToSlash(p)}).String()
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

func fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s\n", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}
