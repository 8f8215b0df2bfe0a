package step

import (
	"context"
	"runtime/debug"
	"testing"
)

func TestNoGCUntilFirstAnswer(t *testing.T) {
	percent, limit := debug.SetGCPercent(-1), debug.SetMemoryLimit(-1)
	debug.SetGCPercent(percent)
	t.Cleanup(func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) })
	t.Setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")

	type settings struct {
		percent int
		limit   int64
	}
	current := func() settings {
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		return settings{p, debug.SetMemoryLimit(-1)}
	}
	var during []settings
	h := NoGCUntilFirstAnswer(func(ctx context.Context, in int) (int, error) {
		during = append(during, current())
		return in * 2, nil
	})
	if got := current(); got != (settings{-1, 512 << 20}) {
		t.Errorf("before the first answer: GOGC %d, limit %d; want off, 512 MiB", got.percent, got.limit)
	}
	for i := range 2 {
		if out, err := h(context.Background(), i); out != 2*i || err != nil {
			t.Fatalf("h(%d) = %d, %v", i, out, err)
		}
		if got := current(); i == 0 && got != (settings{-1, 512 << 20}) {
			t.Errorf("after the first answer: GOGC %d, limit %d; want still off until the next invocation", got.percent, got.limit)
		}
	}
	want := []settings{{-1, 512 << 20}, {percent, limit}}
	if len(during) != 2 || during[0] != want[0] || during[1] != want[1] {
		t.Errorf("during the invocations %v, want %v", during, want)
	}
	if got := current(); got != (settings{percent, limit}) {
		t.Errorf("after: %v, want as before %v", got, settings{percent, limit})
	}

	// A lower GOMEMLIMIT stays.
	debug.SetMemoryLimit(100 << 20)
	_ = NoGCUntilFirstAnswer(func(ctx context.Context, in int) (int, error) { return in, nil })
	if got := current(); got.limit != 100<<20 {
		t.Errorf("limit %d, want the lower one already set", got.limit)
	}
}

func TestColdStartMemoryLimit(t *testing.T) {
	for in, want := range map[string]int64{"1024": 512 << 20, "256": 128 << 20, "": 64 << 20, "x": 64 << 20, "64": 64 << 20} {
		if got := coldStartMemoryLimit(in); got != want {
			t.Errorf("%q: %d, want %d", in, got, want)
		}
	}
}
