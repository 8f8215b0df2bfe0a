package report

import (
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/safe"
)

// sanitize makes every value the reports take from the task, its task
// definition, the decision (whose messages quote names and images) or the
// approval safe to show (package safe): names and images are controlled by
// whoever may register a task definition, so a line break must not forge a
// line of the message, nor an escape sequence rewrite a terminal, nor a
// bidirectional override disguise a name.
func (f *facts) sanitize() {
	t := &f.task
	for _, s := range []*string{&t.Partition, &t.Account, &t.Region, &t.TaskArn, &t.TaskID, &t.ClusterArn, &t.Cluster,
		&t.TaskDefinitionArn, &t.Family, &t.Group, &t.Service, &t.LaunchType, &t.StartedBy, &t.CreatedAt,
		&t.StartedAt, &t.FirstSeen, &t.RegisteredBy} {
		*s = safe.Line(*s)
	}
	for i := range t.Containers {
		t.Containers[i].Name = safe.Line(t.Containers[i].Name)
		t.Containers[i].Image = safe.Line(t.Containers[i].Image)
	}
	if td := f.td; td != nil {
		for _, s := range []*string{&td.TaskDefinitionArn, &td.Family, &td.Status, &td.NetworkMode, &td.Cpu, &td.Memory,
			&td.TaskRoleArn, &td.ExecutionRoleArn, &td.PidMode, &td.IpcMode} {
			*s = safe.Line(*s)
		}
		for i := range td.RequiresCompatibilities {
			td.RequiresCompatibilities[i] = safe.Line(td.RequiresCompatibilities[i])
		}
		for i := range td.ContainerDefinitions {
			c := &td.ContainerDefinitions[i]
			c.Name, c.Image, c.User = safe.Line(c.Name), safe.Line(c.Image), safe.Line(c.User)
		}
	}
	for i := range f.items {
		it := &f.items[i]
		for _, s := range []*string{&it.Rule, &it.Title, &it.Severity, &it.Container, &it.Message, &it.Remediation, &it.Enforcement} {
			*s = safe.Line(*s)
		}
		controls := make([]string, len(it.Controls))
		for j, c := range it.Controls {
			controls[j] = safe.Line(c)
		}
		it.Controls = controls
		if e := it.Exemption; e != nil {
			it.Exemption = &contract.Exemption{Reason: safe.Line(e.Reason), Expires: safe.Line(e.Expires)}
		}
	}
	a := &f.approval
	a.Status, a.Approver, a.Reason, a.DecidedAt, a.Cause = safe.Line(a.Status), safe.Line(a.Approver), safe.Line(a.Reason), safe.Line(a.DecidedAt), safe.Text(a.Cause)
}
