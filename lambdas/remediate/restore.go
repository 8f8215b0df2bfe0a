package remediate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

// RestoreStep is one thing an operator does to undo a remediation, once the
// task definition is fixed.
type RestoreStep struct {
	// Text says what the step puts back, or why something cannot be undone.
	Text string
	// Commands are the aws CLI commands of the step, in order; none when
	// there is nothing to run.
	Commands []string
}

// ReadOnlyTaskDefinitionFields are the members of describe-task-definition's
// output that register-task-definition refuses.
const ReadOnlyTaskDefinitionFields = "taskDefinitionArn, revision, status, requiresAttributes, compatibilities, registeredAt, registeredBy, deregisteredAt"

// RestoreCommands says how to undo what the remediation steps did to the
// task t (their results r), in the order to do it:
//
//  1. a deregistered task definition cannot be reactivated (ECS has no such
//     call): register a fixed revision, starting from the old one;
//  2. point the scaled-down service at the fixed revision and give it back
//     its desired count (ActionResult.PreviousDesiredCount);
//  3. then put back its Application Auto Scaling target as it was
//     (ScalableTarget.Previous: min, max and suspended state) — after 2, or
//     the target would scale the old revision up again;
//  4. a stopped task that no service replaces (a standalone task, or one
//     whose service was not verified) is not restarted by anything: run it
//     again from the fixed revision.
//
// Only what changed is undone; a nil r or nothing changed gives no step.
func RestoreCommands(t *contract.Task, r *contract.Remediation) []RestoreStep {
	if t == nil || r == nil {
		return nil
	}
	var steps []RestoreStep
	td := t.TaskDefinitionArn
	if t.Family != "" && t.Revision > 0 {
		td = t.Family + ":" + strconv.Itoa(t.Revision)
	}
	family := t.Family
	if family == "" {
		family = td
	}
	if a := r.TaskDefinition; a != nil && a.Changed {
		file := family + ".json"
		steps = append(steps, RestoreStep{
			Text: fmt.Sprintf("Task definition %s is INACTIVE, and deregistration cannot be undone: ECS cannot reactivate a revision. "+
				"Register a fixed revision instead: start from the old one, fix what the report names, delete the read-only fields (%s), then register it.",
				td, ReadOnlyTaskDefinitionFields),
			Commands: []string{
				"aws ecs describe-task-definition --task-definition " + Quote(td) + " --query taskDefinition > " + Quote(file),
				"aws ecs register-task-definition --cli-input-json " + Quote("file://"+file),
			},
		})
	}
	svc := r.Service
	verifiedService := t.Service != "" && (svc == nil || svc.Reason != contract.ReasonUnverifiedMembership)
	if svc != nil && svc.Changed && t.Service != "" {
		cluster := t.Cluster
		if prev := svc.PreviousDesiredCount; prev == nil || *prev > 0 {
			count, was := "N", "its desired count (not known: see the scale step's log, \"scaling service to zero\")"
			if prev != nil {
				count, was = strconv.Itoa(int(*prev)), fmt.Sprintf("its desired count (%d)", *prev)
			}
			steps = append(steps, RestoreStep{
				Text: fmt.Sprintf("Point service %s (cluster %s) at the fixed revision and give it back %s. "+
					"--task-definition %s picks the family's latest ACTIVE revision; restoring only the count would start the non-compliant revision again (a service may run an INACTIVE revision), and ecs-compliance would stop it again.",
					t.Service, cluster, was, family),
				Commands: []string{"aws ecs update-service --cluster " + Quote(cluster) + " --service " + Quote(t.Service) +
					" --task-definition " + Quote(family) + " --desired-count " + count},
			})
		}
		if st := svc.ScalableTarget; st != nil && st.Changed {
			steps = append(steps, RestoreStep{
				Text: fmt.Sprintf("Then put back the Application Auto Scaling target of service %s as it was (%s); not before, or it scales the old revision up again.",
					t.Service, DescribeScaling(st.Previous)),
				Commands: []string{RegisterScalableTargetCommand(st.ResourceID, st.Previous)},
			})
		}
	}
	if a := r.Task; a != nil && a.Changed && !verifiedService && t.Cluster != "" {
		text := "ECS does not restart a stopped task, and no service replaces this one: once the fixed revision is registered, start the task again as it was started"
		if t.Service != "" {
			text += fmt.Sprintf(" (its group named service %s, which ECS does not confirm it belongs to)", t.Service)
		}
		steps = append(steps, RestoreStep{
			Text:     text + ", with its launch type and network configuration.",
			Commands: []string{"aws ecs run-task --cluster " + Quote(t.Cluster) + " --task-definition " + Quote(family)},
		})
	}
	return steps
}

// RegisterScalableTargetCommand is the aws CLI command that sets an ECS
// service's scalable target (resourceID "service/CLUSTER/NAME") to s.
func RegisterScalableTargetCommand(resourceID string, s contract.Scaling) string {
	return fmt.Sprintf("aws application-autoscaling register-scalable-target --service-namespace ecs"+
		" --scalable-dimension ecs:service:DesiredCount --resource-id %s --min-capacity %d --max-capacity %d"+
		" --suspended-state DynamicScalingInSuspended=%t,DynamicScalingOutSuspended=%t,ScheduledScalingSuspended=%t",
		Quote(resourceID), s.MinCapacity, s.MaxCapacity,
		s.DynamicScalingInSuspended, s.DynamicScalingOutSuspended, s.ScheduledScalingSuspended)
}

// DescribeScaling says a target's state in words: "min 2, max 10, scaling
// not suspended".
func DescribeScaling(s contract.Scaling) string {
	state := "scaling not suspended"
	switch {
	case s.Suspended():
		state = "all scaling suspended"
	case s.DynamicScalingInSuspended || s.DynamicScalingOutSuspended || s.ScheduledScalingSuspended:
		var parts []string
		for _, p := range []struct {
			on   bool
			name string
		}{{s.DynamicScalingInSuspended, "scale-in"}, {s.DynamicScalingOutSuspended, "scale-out"}, {s.ScheduledScalingSuspended, "scheduled scaling"}} {
			if p.on {
				parts = append(parts, p.name)
			}
		}
		state = strings.Join(parts, ", ") + " suspended"
	}
	return fmt.Sprintf("min %d, max %d, %s", s.MinCapacity, s.MaxCapacity, state)
}

// Quote quotes s for a POSIX shell when it needs it.
func Quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=,@+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
