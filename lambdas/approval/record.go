package approval

import (
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/safe"
)

// Status of an approval record.
const (
	// StatusPending: waiting for a person; its links work.
	StatusPending = "PENDING"
	// StatusApproved, StatusRejected: answered; the links no longer work.
	StatusApproved = contract.ApprovalApproved
	StatusRejected = contract.ApprovalRejected
)

// Delivery of a decision to the workflow.
const (
	// DeliveryDone: SendTaskSuccess/SendTaskFailure was accepted.
	DeliveryDone = "DELIVERED"
	// DeliveryWorkflowEnded: the workflow had already stopped waiting (its
	// wait timed out, or the execution ended): the decision had no effect.
	DeliveryWorkflowEnded = "WORKFLOW_ENDED"
)

// Retention is how long a record is kept after its link expires (the table's
// TTL attribute is ExpiresAt + Retention): long enough to answer a late click
// with "expired" or "already answered" rather than "unknown", and to audit.
const Retention = 7 * 24 * time.Hour

// Record is one approval request as the approvals table keeps it.
type Record struct {
	// Reference is the table's key and what the links carry.
	Reference string
	// TaskToken is the Step Functions task token the decision answers. It
	// never leaves the table (and the callback's memory).
	TaskToken string
	// TaskArn is the ECS task the request is about.
	TaskArn string
	Status  string
	// CreatedAt is when the request was made; ExpiresAt when its links
	// expire (the workflow's wait ends about then). Both to the second, UTC.
	CreatedAt time.Time
	ExpiresAt time.Time
	// Summary is what the confirmation page shows.
	Summary Summary

	// Set once answered.
	Approver    string
	Reason      string
	DecidedAt   time.Time
	DecidedFrom string // the answering browser's IP address, for the audit trail
	Delivery    string
	// FormNonces are the nonces of the form tokens that decided (a decision
	// undone because it could not be delivered keeps its nonce): a form
	// works once.
	FormNonces []string
}

// DeleteAt is when the table's TTL may delete the record.
func (r Record) DeleteAt() time.Time { return r.ExpiresAt.Add(Retention) }

// Decision is a person's answer to a request.
type Decision struct {
	// Status is StatusApproved or StatusRejected.
	Status   string
	Approver string
	Reason   string
	From     string
	At       time.Time
	// Nonce is the nonce of the confirmation form's token that carried the
	// decision (VerifyFormToken): the store records it and refuses a nonce
	// it recorded before (ErrFormUsed). Empty: no form (tests, tools).
	Nonce string
}

// Store errors (the stores wrap them; test with errors.Is).
var (
	// ErrNotFound: no record has the reference.
	ErrNotFound = errors.New("no approval request has this reference")
	// ErrAnswered: the record is no longer PENDING (the link was used).
	ErrAnswered = errors.New("the approval request was already answered")
	// ErrRecordExpired: the record's expiry has passed.
	ErrRecordExpired = errors.New("the approval request has expired")
	// ErrConflict: a reference is already stored for another task token.
	ErrConflict = errors.New("the reference is already stored for another task token")
	// ErrFormUsed: the form token's nonce already carried a decision (a
	// resubmitted form after the decision was undone).
	ErrFormUsed = errors.New("this confirmation form was already submitted")
)

// StoreError is what a store returns for a refused conditional write: which
// of the errors above, and the record as it was.
type StoreError struct {
	Err    error
	Record Record
}

func (e *StoreError) Error() string { return e.Err.Error() }
func (e *StoreError) Unwrap() error { return e.Err }

// Refusal classifies a record that a decision's condition refused at now:
// ErrAnswered, ErrRecordExpired, or nil when the record would be accepted.
// The stores use it so that both explain a refusal the same way.
func Refusal(r Record, now time.Time) error {
	switch {
	case r.Status != StatusPending:
		return ErrAnswered
	case r.ExpiresAt.Unix() < now.Unix():
		return ErrRecordExpired
	}
	return nil
}

// DecisionRefusal classifies a record that d's condition refused: what
// Refusal says at d.At, else ErrFormUsed when d's nonce is recorded, else
// nil when the record would accept d.
func DecisionRefusal(r Record, d Decision) error {
	if err := Refusal(r, d.At); err != nil {
		return err
	}
	if d.Nonce != "" && slices.Contains(r.FormNonces, d.Nonce) {
		return ErrFormUsed
	}
	return nil
}

// Limits of what a person types into the confirmation form.
const (
	MaxApproverRunes = 128
	MaxReasonRunes   = 1000
)

// CleanText makes a person's input safe to record and to show: invalid
// UTF-8 is dropped; control characters, terminal escapes and invisible and
// bidirectional formatting characters are removed (safe.Line: a name cannot
// hide, reorder or restyle text on a page, in a report or on a terminal);
// runs of white space become one space; and the result is trimmed and cut to
// max runes.
func CleanText(s string, max int) string {
	s = safe.Line(strings.ToValidUTF8(s, ""))
	var b strings.Builder
	space := false
	n := 0
	for len(s) > 0 && n < max {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		if r == utf8.RuneError && size <= 1 {
			continue
		}
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			space = b.Len() > 0
			continue
		}
		if space {
			if n+2 > max { // no room for the space and a rune after it
				break
			}
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
