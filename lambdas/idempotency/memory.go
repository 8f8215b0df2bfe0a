package idempotency

import (
	"context"
	"sync"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// Memory keeps claims in memory with the Table's behaviour (second-precision
// times, an expired claim is replaced). Safe for concurrent use. The zero
// value is ready.
type Memory struct {
	mu    sync.Mutex
	items map[string]Claim
}

// Claim claims taskArn, as Table.Claim does.
func (m *Memory) Claim(ctx context.Context, taskArn string, now time.Time, ttl time.Duration) (Claim, error) {
	if err := checkClaim(taskArn, ttl); err != nil {
		return Claim{}, err
	}
	if err := ctx.Err(); err != nil {
		return Claim{}, step.Wrap(contract.ErrTransient, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.items[taskArn]; ok && old.ExpiresAt.Unix() >= now.Unix() {
		return Claim{FirstSeen: old.FirstSeen, ExpiresAt: old.ExpiresAt}, nil
	}
	firstSeen, expiresAt := claimTimes(now, ttl)
	c := Claim{Claimed: true, FirstSeen: firstSeen, ExpiresAt: expiresAt}
	if m.items == nil {
		m.items = map[string]Claim{}
	}
	m.items[taskArn] = c
	return c, nil
}

// Release deletes taskArn's claim, as Table.Release does.
func (m *Memory) Release(ctx context.Context, taskArn string) error {
	if taskArn == "" {
		return step.Errorf(contract.ErrInvalidInput, "idempotency: empty task ARN")
	}
	if err := ctx.Err(); err != nil {
		return step.Wrap(contract.ErrTransient, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.items, taskArn)
	return nil
}

// Lookup returns taskArn's stored claim (expired or not; Claimed is true in
// a stored claim) and whether there is one.
func (m *Memory) Lookup(taskArn string) (Claim, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.items[taskArn]
	return c, ok
}
