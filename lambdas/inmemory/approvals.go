package inmemory

import (
	"context"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval"
	"github.com/ecs-compliance/ecs-compliance/lambdas/approval/store"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// ApprovalsTable is the table name the in-memory approvals store's errors name.
const ApprovalsTable = "in-memory-approvals"

// Approvals is the account's approvals table: store.Memory behind the
// account's throttling and call counts (Put is the call DynamoDB.PutItem,
// distinct by the task; Get DynamoDB.GetItem, Decide, Reopen and SetDelivery
// DynamoDB.UpdateItem, each distinct by its reference and purpose), with
// errors named as store.Table names them.
func (a *Account) Approvals() *ApprovalStore { return &ApprovalStore{a} }

// Approval returns the stored approval record of ref and whether there is one.
func (a *Account) Approval(ref string) (approval.Record, bool) { return a.approvals.Lookup(ref) }

// ApprovalRecords are every stored approval record.
func (a *Account) ApprovalRecords() []approval.Record { return a.approvals.Records() }

// ApprovalStore is the account's approvals table (see Approvals).
type ApprovalStore struct{ a *Account }

func (s *ApprovalStore) call(ctx context.Context, op, purpose, ref string) error {
	if err := s.a.call(ctx, serviceDynamoDB, op, purpose+"\x00"+ref); err != nil {
		return step.AWSError(op+" "+ApprovalsTable+" "+ref, err)
	}
	return nil
}

// Put stores a new record (PutItem). Its throttling key is the task the
// request is about: a retried "Wait for approval" state gets a new task token,
// hence a new reference, but it is the same request.
func (s *ApprovalStore) Put(ctx context.Context, r approval.Record) (approval.Record, error) {
	if err := s.a.call(ctx, serviceDynamoDB, "PutItem", "put\x00"+r.TaskArn); err != nil {
		return approval.Record{}, step.AWSError("PutItem "+ApprovalsTable+" "+r.Reference, err)
	}
	return s.a.approvals.Put(ctx, r)
}

// Get reads a record (GetItem).
func (s *ApprovalStore) Get(ctx context.Context, ref string) (approval.Record, error) {
	if err := s.call(ctx, "GetItem", "get", ref); err != nil {
		return approval.Record{}, err
	}
	return s.a.approvals.Get(ctx, ref)
}

// Decide records a decision (UpdateItem).
func (s *ApprovalStore) Decide(ctx context.Context, ref string, d approval.Decision) (approval.Record, error) {
	if err := s.call(ctx, "UpdateItem", "decide", ref); err != nil {
		return approval.Record{}, err
	}
	return s.a.approvals.Decide(ctx, ref, d)
}

// Reopen undoes a decision (UpdateItem).
func (s *ApprovalStore) Reopen(ctx context.Context, ref string, d approval.Decision) error {
	if err := s.call(ctx, "UpdateItem", "reopen", ref); err != nil {
		return err
	}
	return s.a.approvals.Reopen(ctx, ref, d)
}

// SetDelivery records a delivery (UpdateItem).
func (s *ApprovalStore) SetDelivery(ctx context.Context, ref, delivery string) error {
	if err := s.call(ctx, "UpdateItem", "delivery", ref); err != nil {
		return err
	}
	return s.a.approvals.SetDelivery(ctx, ref, delivery)
}

// approvalState is the account's state for approval-gated remediation
// (guarded by Account.mu, except the store, which has its own lock).
type approvalState struct {
	secrets        map[string]*secret
	secretVersions int
	taskCallbacks  TaskCallbacks
	taskAnswers    []TaskAnswer
	approvals      store.Memory
}
