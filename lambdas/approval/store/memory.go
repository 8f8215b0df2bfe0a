package store

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// Memory keeps records in memory with the Table's behaviour (times to the
// second, the same conditions). Safe for concurrent use; the zero value is
// ready.
type Memory struct {
	mu    sync.Mutex
	items map[string]approval.Record
}

// Put stores a new PENDING record, as Table.Put does.
func (m *Memory) Put(ctx context.Context, r approval.Record) (approval.Record, error) {
	if err := checkRecord(r); err != nil {
		return approval.Record{}, err
	}
	if err := live(ctx); err != nil {
		return approval.Record{}, err
	}
	r = newRecord(r)
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.items[r.Reference]; ok {
		if old.TaskToken == r.TaskToken {
			return old, nil
		}
		return approval.Record{}, &approval.StoreError{Err: approval.ErrConflict, Record: old}
	}
	if m.items == nil {
		m.items = map[string]approval.Record{}
	}
	m.items[r.Reference] = r
	return r, nil
}

// Get returns the record of ref, as Table.Get does.
func (m *Memory) Get(ctx context.Context, ref string) (approval.Record, error) {
	if err := live(ctx); err != nil {
		return approval.Record{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.items[ref]
	if !ok {
		return approval.Record{}, &approval.StoreError{Err: approval.ErrNotFound}
	}
	return r, nil
}

// Decide records a decision, as Table.Decide does.
func (m *Memory) Decide(ctx context.Context, ref string, d approval.Decision) (approval.Record, error) {
	if err := checkDecision(ref, d); err != nil {
		return approval.Record{}, err
	}
	if err := live(ctx); err != nil {
		return approval.Record{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.items[ref]
	if !ok {
		return approval.Record{}, &approval.StoreError{Err: approval.ErrNotFound}
	}
	if err := approval.DecisionRefusal(r, d); err != nil {
		return approval.Record{}, &approval.StoreError{Err: err, Record: r}
	}
	r.Status, r.Approver, r.Reason, r.DecidedAt, r.DecidedFrom = d.Status, d.Approver, d.Reason, seconds(d.At), d.From
	if d.Nonce != "" {
		// A new slice: records handed out before must not change.
		r.FormNonces = slices.Sorted(slices.Values(append(slices.Clone(r.FormNonces), d.Nonce)))
	}
	m.items[ref] = r
	return r, nil
}

// Reopen undoes a decision, as Table.Reopen does.
func (m *Memory) Reopen(ctx context.Context, ref string, d approval.Decision) error {
	if err := checkDecision(ref, d); err != nil {
		return err
	}
	if err := live(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.items[ref]
	if !ok || r.Status != d.Status || !r.DecidedAt.Equal(seconds(d.At)) {
		return &approval.StoreError{Err: approval.ErrAnswered, Record: r}
	}
	r.Status, r.Approver, r.Reason, r.DecidedAt, r.DecidedFrom = approval.StatusPending, "", "", time.Time{}, ""
	m.items[ref] = r
	return nil
}

// SetDelivery records the delivery, as Table.SetDelivery does.
func (m *Memory) SetDelivery(ctx context.Context, ref, delivery string) error {
	if err := live(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.items[ref]
	if !ok {
		return &approval.StoreError{Err: approval.ErrNotFound}
	}
	r.Delivery = delivery
	m.items[ref] = r
	return nil
}

// Lookup returns the record of ref and whether there is one (for tests and
// the local executor's report).
func (m *Memory) Lookup(ref string) (approval.Record, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.items[ref]
	return r, ok
}

// Records returns every record, in no particular order.
func (m *Memory) Records() []approval.Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]approval.Record, 0, len(m.items))
	for _, r := range m.items {
		out = append(out, r)
	}
	return out
}

// newRecord is r as Put stores it: PENDING, undecided, times to the second.
func newRecord(r approval.Record) approval.Record {
	r.Status = approval.StatusPending
	r.Approver, r.Reason, r.DecidedFrom, r.Delivery = "", "", "", ""
	r.DecidedAt, r.FormNonces = time.Time{}, nil
	return normalize(r)
}

func live(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return step.Wrap(contract.ErrTransient, err)
	}
	return nil
}
