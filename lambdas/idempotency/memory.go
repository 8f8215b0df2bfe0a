package idempotency

import (
	"context"
	"sync"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// Memory keeps claims in memory with the Table's behaviour (second-precision
// times, own claims, attempts, an expired claim replaced, a released claim
// kept with its attempt). Safe for concurrent use. The zero value is ready.
type Memory struct {
	mu    sync.Mutex
	items map[string]Item
}

// Claim claims key for executionID, as Table.Claim does.
func (m *Memory) Claim(ctx context.Context, key, executionID string, now time.Time, ttl time.Duration) (Claim, error) {
	if err := checkClaim(key, executionID, ttl); err != nil {
		return Claim{}, err
	}
	if err := ctx.Err(); err != nil {
		return Claim{}, step.Wrap(contract.ErrTransient, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	firstSeen, expiresAt := claimTimes(now, ttl)
	old, exists := m.items[key]
	next := Item{Key: key, ClaimedBy: executionID, Attempt: old.Attempt + 1, FirstSeen: firstSeen, ExpiresAt: expiresAt}
	switch {
	case !exists || expired(old.ExpiresAt, now):
		// A new claim, or one after an expiry: it starts anew (but counts on).
	case old.Released:
		next.FirstSeen = old.FirstSeen
	case old.ClaimedBy == executionID:
		return claimOf(old, true, true), nil
	default:
		return claimOf(old, false, false), nil
	}
	if m.items == nil {
		m.items = map[string]Item{}
	}
	m.items[key] = next
	return claimOf(next, true, false), nil
}

// Release marks key's claim released if its attempt is attempt, as
// Table.Release does.
func (m *Memory) Release(ctx context.Context, key string, attempt int) error {
	if err := checkRelease(key, attempt); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return step.Wrap(contract.ErrTransient, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.items[key]; ok && old.Attempt == attempt {
		old.Released = true
		m.items[key] = old
	}
	return nil
}

// Lookup returns key's stored item (expired, released or not) and whether
// there is one.
func (m *Memory) Lookup(key string) (Item, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[key]
	return it, ok
}

func claimOf(it Item, claimed, own bool) Claim {
	return Claim{Claimed: claimed, Own: own, ClaimedBy: it.ClaimedBy, Attempt: it.Attempt,
		FirstSeen: it.FirstSeen, ExpiresAt: it.ExpiresAt}
}
