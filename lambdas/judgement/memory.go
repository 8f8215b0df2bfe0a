package judgement

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// Memory is the in-memory Store (the local executor, tests). Safe for
// concurrent use; the zero value is ready.
type Memory struct {
	mu        sync.Mutex
	records   map[string]Record
	revisions map[string]Revision
	incidents map[string]Incident
}

var _ Store = (*Memory)(nil)

func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return step.Wrap(contract.ErrTransient, err)
	}
	return nil
}

// Get returns key's record.
func (m *Memory) Get(ctx context.Context, key string) (Record, bool, error) {
	if err := ctxErr(ctx); err != nil {
		return Record{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[key]
	return cloneRecord(r), ok, nil
}

// Begin takes key for judging.
func (m *Memory) Begin(ctx context.Context, key, owner string, now time.Time, lease time.Duration) (Record, bool, error) {
	if err := ValidateBegin(key, owner, lease); err != nil {
		return Record{}, false, err
	}
	if err := ctxErr(ctx); err != nil {
		return Record{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.records[key]; ok && !takeable(old, owner, now) {
		return cloneRecord(old), false, nil
	}
	r := Record{Key: key, Status: StatusPending, Owner: owner, LeaseUntil: now.Add(lease).UTC().Truncate(time.Second)}
	if m.records == nil {
		m.records = map[string]Record{}
	}
	m.records[key] = r
	return r, true, nil
}

// takeable: the stored record does not stop owner from judging at now.
func takeable(old Record, owner string, now time.Time) bool {
	switch old.Status {
	case StatusJudged:
		return !old.Valid(now)
	case StatusPending:
		return old.Owner == owner || !now.Before(old.LeaseUntil)
	}
	return true
}

// Put stores a judged record.
func (m *Memory) Put(ctx context.Context, r Record) error {
	if err := ValidatePut(r); err != nil {
		return err
	}
	if err := ctxErr(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.records == nil {
		m.records = map[string]Record{}
	}
	r.Status = StatusJudged
	r.Owner, r.LeaseUntil = "", time.Time{}
	// As the table stores them: to the second.
	r.ExpiresAt = r.ExpiresAt.UTC().Truncate(time.Second)
	r.JudgedAt = r.JudgedAt.UTC().Truncate(time.Second)
	m.records[r.Key] = cloneRecord(r)
	return nil
}

// Abandon deletes key's pending record held by owner.
func (m *Memory) Abandon(ctx context.Context, key, owner string) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.records[key]; ok && r.Status == StatusPending && r.Owner == owner {
		delete(m.records, key)
	}
	return nil
}

// NoteReport records what a revision is judged to flag.
func (m *Memory) NoteReport(ctx context.Context, taskDefinitionArn, policyHash string, f Flagged, noter string, now time.Time) (bool, []string, error) {
	if err := ctxErr(ctx); err != nil {
		return false, nil, err
	}
	if taskDefinitionArn == "" {
		return false, nil, step.Errorf(contract.ErrInvalidInput, "judgement: note report: empty task definition ARN")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old, found := m.revisions[taskDefinitionArn]
	next, news, resolve := NextRevision(old, found, taskDefinitionArn, policyHash, f, noter, now)
	if m.revisions == nil {
		m.revisions = map[string]Revision{}
	}
	m.revisions[taskDefinitionArn] = next
	return news, resolve, nil
}

// Revision returns what was last reported for a revision.
func (m *Memory) Revision(ctx context.Context, taskDefinitionArn string) (Revision, bool, error) {
	if err := ctxErr(ctx); err != nil {
		return Revision{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.revisions[taskDefinitionArn]
	r.Rules, r.Resolve = slices.Clone(r.Rules), slices.Clone(r.Resolve)
	return r, ok, nil
}

// CountIncident counts a task in an incident.
func (m *Memory) CountIncident(ctx context.Context, id, taskDefinitionArn, policyHash, taskArn string, previousDesiredCount *int32, now time.Time) (Incident, error) {
	if err := ValidateIncident(id, taskArn); err != nil {
		return Incident{}, err
	}
	if err := ctxErr(ctx); err != nil {
		return Incident{}, err
	}
	now = now.UTC().Truncate(time.Second)
	m.mu.Lock()
	defer m.mu.Unlock()
	in, ok := m.incidents[id]
	switch {
	case !ok:
		in = Incident{ID: id, TaskDefinitionArn: taskDefinitionArn, PolicyHash: policyHash, Tasks: 1,
			FirstAt: now, FirstTaskArn: taskArn, LastTaskArn: taskArn, LastAt: now, First: true}
	case in.FirstTaskArn == taskArn || in.LastTaskArn == taskArn:
		in.First = in.FirstTaskArn == taskArn
		return in, nil
	default:
		in.Tasks++
		in.LastTaskArn, in.LastAt, in.First = taskArn, now, false
	}
	if in.PreviousDesiredCount == nil && previousDesiredCount != nil {
		n := *previousDesiredCount
		in.PreviousDesiredCount = &n
	}
	if m.incidents == nil {
		m.incidents = map[string]Incident{}
	}
	m.incidents[id] = in
	return in, nil
}

// ValidateBegin checks Begin's arguments (every Store does).
func ValidateBegin(key, owner string, lease time.Duration) error {
	switch {
	case key == "":
		return step.Errorf(contract.ErrInvalidInput, "judgement: empty key")
	case owner == "":
		return step.Errorf(contract.ErrInvalidInput, "judgement: begin %s: empty owner", key)
	case lease < time.Second:
		return step.Errorf(contract.ErrFailed, "judgement: lease %s is under a second", lease)
	}
	return nil
}

// ValidatePut checks that a record can be stored.
func ValidatePut(r Record) error {
	switch {
	case r.Key == "":
		return step.Errorf(contract.ErrInvalidInput, "judgement: put: empty key")
	case r.Evaluation == nil || r.Evaluation.Decision == nil:
		return step.Errorf(contract.ErrInvalidInput, "judgement: put %s: no decision", r.Key)
	case r.ExpiresAt.IsZero():
		return step.Errorf(contract.ErrInvalidInput, "judgement: put %s: no expiry", r.Key)
	}
	return nil
}

// ValidateIncident checks CountIncident's arguments.
func ValidateIncident(id, taskArn string) error {
	if id == "" || taskArn == "" {
		return step.Errorf(contract.ErrInvalidInput, "judgement: count incident: empty incident id or task")
	}
	return nil
}

// cloneRecord copies r deeply enough that callers cannot change the store.
func cloneRecord(r Record) Record {
	if r.Evaluation != nil {
		e := *r.Evaluation
		if e.Decision != nil {
			d := *e.Decision
			e.Decision = &d
		}
		r.Evaluation = &e
	}
	return r
}
