package offline

import (
	"context"
	"encoding/json"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/statemachine/asl"
)

// approver is the simulated person who answers "Wait for approval".
const approver = "local-approver"

// approvalHandler is the request-approval Lambda of the local run.
func (r *Runner) approvalHandler() taskFunc {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		var req contract.ApprovalRequest
		if err := json.Unmarshal(payload, &req); err != nil {
			return nil, err
		}
		return []byte(`{}`), nil
	}
}

// answerApproval answers the wait as the --approval flag says a person would.
func (r *Runner) answerApproval(_ context.Context, call asl.TaskCall) {
	switch r.opts.Approval {
	case ApprovalApprove:
		out, _ := json.Marshal(contract.Approval{Decision: contract.ApprovalApproved, Approver: approver,
			DecidedAt: time.Now().UTC().Format(time.RFC3339)})
		_ = call.Callbacks.SendTaskSuccess(call.Token, out)
	case ApprovalReject:
		cause, _ := json.Marshal(map[string]string{"approver": approver, "reason": "rejected with --approval reject",
			"decidedAt": time.Now().UTC().Format(time.RFC3339)})
		_ = call.Callbacks.SendTaskFailure(call.Token, contract.ErrApprovalRejected, string(cause))
	}
	// timeout: nobody answers; the state's TimeoutSecondsPath fires.
}
