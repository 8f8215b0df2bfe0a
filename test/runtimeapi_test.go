package test

// runtimeAPI is the Lambda Runtime API (version 2018-06-01) as a Lambda
// function's process sees it, on 127.0.0.1: the harness the cold start
// benchmark starts a Lambda binary under, in place of Lambda itself or of
// the Runtime Interface Emulator (which adds its own start and an HTTP hop
// to every figure). It serves queued invocations on
//
//	GET  /2018-06-01/runtime/invocation/next             (blocks until one is queued)
//	POST /2018-06-01/runtime/invocation/{id}/response    202
//	POST /2018-06-01/runtime/invocation/{id}/error       202
//	POST /2018-06-01/runtime/init/error                  202
//
// with Lambda's headers (Lambda-Runtime-Aws-Request-Id,
// Lambda-Runtime-Deadline-Ms, Lambda-Runtime-Invoked-Function-Arn,
// Lambda-Runtime-Trace-Id), and records when the process first asked for an
// invocation (its initialization done) and when each answer arrived.

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

const runtimeAPIVersion = "2018-06-01"

// runtimeAnswer is what the function posted for an invocation (or for its
// initialization: Init).
type runtimeAnswer struct {
	RequestID string
	Body      []byte
	// Error is true for /error and /init/error; ErrorType is the
	// Lambda-Runtime-Function-Error-Type header.
	Error     bool
	Init      bool
	ErrorType string
	// At is when the answer's body had been read.
	At time.Time
}

type runtimeInvocation struct {
	id       string
	payload  []byte
	deadline time.Time
}

type runtimeAPI struct {
	srv      *http.Server
	addr     string
	arn      string
	queue    chan runtimeInvocation
	answers  chan runtimeAnswer
	done     chan struct{}
	mu       sync.Mutex
	served   map[string]bool // request ids handed out, not yet answered
	next     int             // GET /next requests
	firstAt  time.Time       // the first GET /next
	problems []string        // protocol violations by the function
	seq      int
}

// newRuntimeAPI listens on 127.0.0.1 for the function name's process; it
// stops when the test ends.
func newRuntimeAPI(tb testing.TB, function string) *runtimeAPI {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	api := &runtimeAPI{
		addr:    l.Addr().String(),
		arn:     "arn:aws:lambda:" + rieRegion + ":" + rieAccount + ":function:" + function,
		queue:   make(chan runtimeInvocation, 16),
		answers: make(chan runtimeAnswer, 16),
		done:    make(chan struct{}),
		served:  map[string]bool{},
	}
	mux := http.NewServeMux()
	base := "/" + runtimeAPIVersion + "/runtime"
	mux.HandleFunc("GET "+base+"/invocation/next", api.serveNext)
	mux.HandleFunc("POST "+base+"/invocation/{id}/response", api.serveAnswer(false))
	mux.HandleFunc("POST "+base+"/invocation/{id}/error", api.serveAnswer(true))
	mux.HandleFunc("POST "+base+"/init/error", api.serveInitError)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		api.problem("unknown request %s %s", r.Method, r.URL.Path)
		http.Error(w, `{"errorType":"InvalidRequest"}`, http.StatusNotFound)
	})
	api.srv = &http.Server{Handler: mux}
	go func() { _ = api.srv.Serve(l) }()
	tb.Cleanup(api.close)
	return api
}

// Addr is AWS_LAMBDA_RUNTIME_API.
func (api *runtimeAPI) Addr() string { return api.addr }

// Invoke queues an invocation of payload, with a 30-second deadline, and
// returns its request id.
func (api *runtimeAPI) Invoke(payload []byte) string {
	api.mu.Lock()
	api.seq++
	id := fmt.Sprintf("0b6a2f3e-5c1b-4e2a-9d7f-%012d", api.seq)
	api.mu.Unlock()
	api.queue <- runtimeInvocation{id: id, payload: payload, deadline: time.Now().Add(30 * time.Second)}
	return id
}

// FirstNext is when the function first asked for an invocation (zero if it
// has not).
func (api *runtimeAPI) FirstNext() time.Time {
	api.mu.Lock()
	defer api.mu.Unlock()
	return api.firstAt
}

// Problems are the protocol violations seen: unknown paths, answers to
// request ids not handed out or already answered.
func (api *runtimeAPI) Problems() []string {
	api.mu.Lock()
	defer api.mu.Unlock()
	return append([]string(nil), api.problems...)
}

func (api *runtimeAPI) problem(format string, args ...any) {
	api.mu.Lock()
	defer api.mu.Unlock()
	api.problems = append(api.problems, fmt.Sprintf(format, args...))
}

func (api *runtimeAPI) close() {
	select {
	case <-api.done:
		return
	default:
	}
	close(api.done)
	_ = api.srv.Close()
}

func (api *runtimeAPI) serveNext(w http.ResponseWriter, r *http.Request) {
	api.mu.Lock()
	if api.next == 0 {
		api.firstAt = time.Now()
	}
	api.next++
	api.mu.Unlock()
	select {
	case inv := <-api.queue:
		api.mu.Lock()
		api.served[inv.id] = true
		api.mu.Unlock()
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", api.arn)
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-6746e1a0-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=0")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	case <-api.done:
	}
}

func (api *runtimeAPI) serveAnswer(isError bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		at := time.Now()
		if err != nil {
			api.problem("read the answer: %v", err)
			return
		}
		id := r.PathValue("id")
		api.mu.Lock()
		known := api.served[id]
		delete(api.served, id)
		api.mu.Unlock()
		if !known {
			api.problem("an answer to request %q, which is not in progress", id)
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"errorMessage":"invalid request id","errorType":"InvalidRequestID"}`))
			return
		}
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"status":"OK"}`))
		api.answers <- runtimeAnswer{RequestID: id, Body: body, Error: isError, ErrorType: r.Header.Get("Lambda-Runtime-Function-Error-Type"), At: at}
	}
}

func (api *runtimeAPI) serveInitError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
	api.answers <- runtimeAnswer{Body: body, Error: true, Init: true, ErrorType: r.Header.Get("Lambda-Runtime-Function-Error-Type"), At: time.Now()}
}

// lambdaProcess is a Lambda binary running under a runtimeAPI.
type lambdaProcess struct {
	API *runtimeAPI
	// Requests are the ids of the invocations queued at the start.
	Requests []string
	Started  time.Time // just before the process was started
	cmd      *exec.Cmd
	logs     *syncBuffer
	exited   chan struct{}
	waitErr  error
}

// startLambda starts binary with the environment Lambda gives it (lambdaEnv:
// clients pointed at endpoint, the function's settings) and
// AWS_LAMBDA_RUNTIME_API pointing at a new runtimeAPI that holds the
// payloads' invocations already, as Lambda holds the event that causes a
// cold start. The process is killed when the test ends, if Kill was not
// called before.
func startLambda(tb testing.TB, binary, name, endpoint string, settings map[string]string, payloads ...[]byte) *lambdaProcess {
	tb.Helper()
	api := newRuntimeAPI(tb, name)
	var ids []string
	for _, pl := range payloads {
		ids = append(ids, api.Invoke(pl))
	}
	cmd := exec.Command(binary)
	cmd.Env = append(lambdaEnv(name, endpoint, settings), "AWS_LAMBDA_RUNTIME_API="+api.Addr())
	p := &lambdaProcess{API: api, Requests: ids, cmd: cmd, logs: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	p.Started = time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", binary, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	tb.Cleanup(p.Kill)
	return p
}

// Answer waits for the function's next answer; it fails the test when the
// process exits first or nothing comes within timeout.
func (p *lambdaProcess) Answer(tb testing.TB, timeout time.Duration) runtimeAnswer {
	tb.Helper()
	select {
	case a := <-p.API.answers:
		return a
	case <-p.exited:
		// An answer posted just before the exit still counts.
		select {
		case a := <-p.API.answers:
			return a
		default:
		}
		tb.Fatalf("the function exited (%v) before answering; its output:\n%s", p.waitErr, p.logs.String())
	case <-time.After(timeout):
		tb.Fatalf("no answer within %s; the function's output:\n%s", timeout, p.logs.String())
	}
	return runtimeAnswer{}
}

// Logs is what the function wrote on stdout and stderr.
func (p *lambdaProcess) Logs() string { return p.logs.String() }

// Kill kills the process and waits for it; calling it again does nothing.
func (p *lambdaProcess) Kill() {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.API.close()
}

func (a runtimeAnswer) String() string {
	kind := "response"
	if a.Init {
		kind = "init error"
	} else if a.Error {
		kind = "error " + a.ErrorType
	}
	return fmt.Sprintf("%s to %s: %s", kind, a.RequestID, bytes.TrimSpace(a.Body))
}
