package step

import (
	"context"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
)

// NoGCUntilFirstAnswer returns h with the garbage collector off until h's
// first answer has gone, then as it was. It is for a Lambda whose first
// invocation allocates much and keeps most of it: evaluate compiles its
// policy library (about 10 MB allocated, a few MB kept), and the three
// collections a Go program starting from a 4 MB heap goal runs meanwhile
// made its cold start about a quarter slower (test/coldstart_test.go) for
// little to free. The collector is turned back on when the second
// invocation starts: turned on as the first returns, it would start a
// collection of the whole heap while the answer is encoded and sent. A
// memory limit of half the function's memory (AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
// 64 MiB when unset), or GOMEMLIMIT when lower, makes it collect all the
// same if the first invocation allocates more than that.
func NoGCUntilFirstAnswer[In, Out any](h Handler[In, Out]) Handler[In, Out] {
	limit := coldStartMemoryLimit(os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
	prevLimit := debug.SetMemoryLimit(-1) // reads it
	prevPercent := debug.SetGCPercent(-1)
	debug.SetMemoryLimit(min(limit, prevLimit))
	var calls atomic.Int64
	var once sync.Once
	return func(ctx context.Context, in In) (Out, error) {
		if calls.Add(1) > 1 {
			once.Do(func() {
				debug.SetGCPercent(prevPercent)
				debug.SetMemoryLimit(prevLimit)
			})
		}
		return h(ctx, in)
	}
}

// coldStartMemoryLimit is half the function's memory, in bytes.
func coldStartMemoryLimit(memoryMB string) int64 {
	mb, err := strconv.ParseInt(memoryMB, 10, 64)
	if err != nil || mb < 128 {
		mb = 128
	}
	return mb << 20 / 2
}
