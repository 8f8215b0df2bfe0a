package judgement

import (
	"context"
	"slices"
	"time"
)

// Store keeps judgements, what was reported per revision, and incidents.
// Table (DynamoDB) and Memory behave the same.
type Store interface {
	// Get returns the record stored under key, if any (expired or not).
	Get(ctx context.Context, key string) (Record, bool, error)
	// Begin takes key for judging by owner, until now+lease. It wins when
	// nothing valid is stored: no record, a judgement no longer valid at
	// now, or a pending record whose lease ran out (or that owner holds
	// already: a retry). Otherwise it returns the stored record and false.
	Begin(ctx context.Context, key, owner string, now time.Time, lease time.Duration) (Record, bool, error)
	// Put stores a judged record (replacing a pending one).
	Put(ctx context.Context, r Record) error
	// Abandon deletes key's pending record if owner holds it (a failed
	// judging lets the next task judge again); anything else is left alone.
	Abandon(ctx context.Context, key, owner string) error
	// NoteReport records that revision taskDefinitionArn is judged to flag
	// f under policyHash, and says whether that is news and which rules'
	// findings are to be resolved (see NextRevision).
	// noter names the judgement (key and time): a retry of the same
	// judgement (a lost response) gets the same answer, not "no news".
	NoteReport(ctx context.Context, taskDefinitionArn, policyHash string, f Flagged, noter string, now time.Time) (news bool, resolve []string, err error)
	// Revision returns what was last reported for a revision.
	Revision(ctx context.Context, taskDefinitionArn string) (Revision, bool, error)
	// CountIncident counts taskArn in the incident id (opening it when new)
	// and returns it. A retry counts nothing: the same task again, or the
	// incident's first task again (which stays First, so that its message
	// still goes out after a lost response). previousDesiredCount (nil when
	// this task's remediation scaled no service) is kept as the incident's
	// PreviousDesiredCount unless it has one already.
	CountIncident(ctx context.Context, id, taskDefinitionArn, policyHash, taskArn string, previousDesiredCount *int32, now time.Time) (Incident, error)
}

// resolved is before minus now, in before's order.
func resolved(before, now []string) []string {
	var out []string
	for _, r := range before {
		if !slices.Contains(now, r) {
			out = append(out, r)
		}
	}
	return out
}

// NextRevision is what a revision's report record becomes when a judgement
// under policyHash flags f, whether that is news (a message is due), and
// the rules whose findings are to be resolved.
//
// Under the same policy version, judgements of the same revision with
// different subjects (at registration, for tasks of different services,
// with different tags) add up: the revision's findings are the union of
// what they flag, news is a rule no judgement of the revision flagged
// before, and nothing is resolved — that one task's service has the tag a
// rule wants does not make the revision compliant. A new policy version
// starts afresh: news is a report whose content differs from the last one
// (Flagged.Digest), and the rules flagged before and not now are resolved.
//
// The same judgement noted again (noter: a retry after a lost response)
// changes nothing and gets the answer it got the first time.
func NextRevision(old Revision, found bool, taskDefinitionArn, policyHash string, f Flagged, noter string, now time.Time) (next Revision, news bool, resolve []string) {
	if found && noter != "" && old.Noter == noter {
		return old, old.News, append([]string(nil), old.Resolve...)
	}
	next = Revision{TaskDefinitionArn: taskDefinitionArn, PolicyHash: policyHash, Digest: f.Digest,
		ReportedAt: now.UTC().Truncate(time.Second), Noter: noter}
	if found && old.PolicyHash == policyHash {
		next.Rules = append([]string(nil), old.Rules...)
		for _, r := range f.Rules {
			if !slices.Contains(next.Rules, r) {
				next.Rules = append(next.Rules, r)
				news = true
			}
		}
		slices.Sort(next.Rules)
	} else {
		next.Rules = append([]string(nil), f.Rules...)
		news, resolve = f.Digest != "" && f.Digest != old.Digest, resolved(old.Rules, f.Rules)
	}
	next.News, next.Resolve = news, resolve
	return next, news, resolve
}
