package judgement_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement/judgementtest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

func TestMemoryStore(t *testing.T) {
	judgementtest.StoreBehaviour(t, &judgement.Memory{})
	judgementtest.StoreErrors(t, &judgement.Memory{})
}

func TestMemoryConcurrentBeginHasOneWinner(t *testing.T) {
	var m judgement.Memory
	var wg sync.WaitGroup
	wins := make(chan string, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, won, _ := m.Begin(context.Background(), "k", fmt.Sprint("exec-", i), judgementtest.T0, time.Minute); won {
				wins <- fmt.Sprint(i)
			}
		}(i)
	}
	wg.Wait()
	close(wins)
	if len(wins) != 1 {
		t.Fatalf("%d winners, want 1", len(wins))
	}
}

func TestMemoryCancelledContextIsTransient(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := (&judgement.Memory{}).Get(ctx, "k"); step.Name(err) != contract.ErrTransient {
		t.Errorf("got %v", err)
	}
}
