package asl

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// Errors of the callback API, as Step Functions' SendTask* calls return them.
var (
	// ErrInvalidToken: the token is empty.
	ErrInvalidToken = errors.New("InvalidToken: the task token is empty")
	// ErrTaskDoesNotExist: no task was ever given this token.
	ErrTaskDoesNotExist = errors.New("TaskDoesNotExist: no task has this token")
	// ErrTaskTimedOut: the token's task has already been answered, timed out,
	// failed or stopped.
	ErrTaskTimedOut = errors.New("TaskTimedOut: the task token has expired or its task is already closed")
	// ErrInvalidOutput: the output given to SendTaskSuccess is not JSON.
	ErrInvalidOutput = errors.New("InvalidOutput: the task output is not JSON")
)

// Callbacks completes the Task states that wait for a task token
// (Resources ending in ".waitForTaskToken"), as Step Functions'
// SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat do. The interpreter
// registers each token before it calls the TaskFunc, so an answer may come at
// any time after that, even from inside the TaskFunc. A Callbacks may be
// shared by several executions and used from any goroutine.
type Callbacks struct {
	mu    sync.Mutex
	tasks map[string]*pendingTask
}

type pendingTask struct {
	result chan callbackResult // buffered: an answer never blocks its sender
	beat   chan struct{}
	closed bool
}

type callbackResult struct {
	output  json.RawMessage
	failed  bool
	errName string
	cause   string
}

// NewCallbacks returns an empty Callbacks.
func NewCallbacks() *Callbacks { return &Callbacks{tasks: map[string]*pendingTask{}} }

// issue registers and returns a fresh token.
func (c *Callbacks) issue() (string, *pendingTask) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	token := base64.RawURLEncoding.EncodeToString(b[:])
	p := &pendingTask{result: make(chan callbackResult, 1), beat: make(chan struct{}, 1)}
	c.mu.Lock()
	if c.tasks == nil {
		c.tasks = map[string]*pendingTask{}
	}
	c.tasks[token] = p
	c.mu.Unlock()
	return token, p
}

// close marks the token used: later calls with it get ErrTaskTimedOut.
func (c *Callbacks) close(token string) {
	if token == "" {
		return
	}
	c.mu.Lock()
	if p, ok := c.tasks[token]; ok {
		p.closed = true
	}
	c.mu.Unlock()
}

func (c *Callbacks) answer(token string, r callbackResult) error {
	if token == "" {
		return ErrInvalidToken
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.tasks[token]
	if !ok {
		return fmt.Errorf("%w (token %q)", ErrTaskDoesNotExist, truncate(token, 16))
	}
	if p.closed {
		return fmt.Errorf("%w (token %q)", ErrTaskTimedOut, truncate(token, 16))
	}
	p.closed = true
	p.result <- r
	return nil
}

// SendTaskSuccess completes the token's task with output (JSON) as its result.
func (c *Callbacks) SendTaskSuccess(token string, output json.RawMessage) error {
	if _, err := decodeJSON(output); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidOutput, err)
	}
	return c.answer(token, callbackResult{output: append(json.RawMessage(nil), output...)})
}

// SendTaskFailure fails the token's task with the error name and cause; the
// state's Retry and Catch see that error name ("States.TaskFailed" if empty).
func (c *Callbacks) SendTaskFailure(token, errorName, cause string) error {
	if errorName == "" {
		errorName = ErrorTaskFailed
	}
	return c.answer(token, callbackResult{failed: true, errName: errorName, cause: cause})
}

// SendTaskHeartbeat restarts the token's HeartbeatSeconds clock.
func (c *Callbacks) SendTaskHeartbeat(token string) error {
	if token == "" {
		return ErrInvalidToken
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.tasks[token]
	if !ok {
		return fmt.Errorf("%w (token %q)", ErrTaskDoesNotExist, truncate(token, 16))
	}
	if p.closed {
		return fmt.Errorf("%w (token %q)", ErrTaskTimedOut, truncate(token, 16))
	}
	select {
	case p.beat <- struct{}{}:
	default:
	}
	return nil
}
