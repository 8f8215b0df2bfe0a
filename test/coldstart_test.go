package test

// The cold start of every Lambda binary: the process started with the
// environment Lambda gives it, under a Go implementation of the Lambda
// Runtime API (runtimeapi_test.go) that holds one invocation, the Lambda's
// rieSample (rie_test.go), its AWS clients pointed at the fake AWS endpoint;
// timed from the process's start to its first GET /next (its
// initialization: Go runtime, package inits, main's configuration and
// clients) and to its answer, which the sample's check then inspects, so
// every figure is a real, successful first answer. The binaries are built as
// deployed (deployBuildFlags: -tags lambda.norpc -trimpath -ldflags='-s -w',
// CGO_ENABLED=0) for linux/amd64 rather than arm64, so that they run here.
//
// Evaluate's sample carries the whole policy library (test/../policies): its
// first answer includes the library's compilation.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// coldStartTimeout bounds one cold start: a Lambda that does not answer in
// it has a problem no figure should hide.
const coldStartTimeout = 30 * time.Second

// BenchmarkColdStart/<lambda> starts the Lambda's binary b.N times, each a
// new process with one invocation waiting, and reports the medians
// ms/coldstart (process start to the answer posted) and ms/init (process
// start to its first GET /next); ns/op is the mean from start to answer.
// Targets (issue 13): every Lambda ≤ 15 ms, evaluate ≤ 60 ms with its first
// compilation of the policy.
func BenchmarkColdStart(b *testing.B) {
	bin := buildLambdas(b, "amd64")
	for _, name := range lambdaNames(b) {
		s, ok := rieSamples[name]
		if !ok {
			b.Errorf("lambdas/%s has no rieSample in test/rie_test.go: add one", name)
			continue
		}
		b.Run(name, func(b *testing.B) {
			var answered, initialized []time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				aws := newFakeAWS(b)
				payload, err := json.Marshal(s.payload(b))
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				p := startLambda(b, filepath.Join(bin, name), name, aws.URL(), s.env, payload)
				a := p.Answer(b, coldStartTimeout)
				b.StopTimer()
				p.Kill()
				aws.srv.Close()
				answered = append(answered, a.At.Sub(p.Started))
				initialized = append(initialized, p.API.FirstNext().Sub(p.Started))
				if a.Error || a.RequestID != p.Requests[0] {
					b.Fatalf("answer %s, want a response to %s; the function's output:\n%s", a, p.Requests[0], p.Logs())
				}
				s.check(b, a.Body, aws.Calls())
				if pr := p.API.Problems(); len(pr) > 0 {
					b.Fatalf("Runtime API protocol problems: %v", pr)
				}
				b.StartTimer()
			}
			b.ReportMetric(medianMS(answered), "ms/coldstart")
			b.ReportMetric(medianMS(initialized), "ms/init")
		})
	}
}

// medianMS is the median of ds, in milliseconds.
func medianMS(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return float64(m) / float64(time.Millisecond)
}

// TestColdStartHarness runs one small Lambda (stop-task) under the harness
// the benchmark uses, with two invocations queued: its sample, answered on
// /response and accepted by the sample's check, then a payload its handler
// cannot decode, answered on /error with an errorType; the process asked
// for work before answering, and answered each request id once.
func TestColdStartHarness(t *testing.T) {
	const name = "stop-task"
	bin := buildLambdas(t, "amd64")
	s := rieSamples[name]
	aws := newFakeAWS(t)
	good, err := json.Marshal(s.payload(t))
	if err != nil {
		t.Fatal(err)
	}
	p := startLambda(t, filepath.Join(bin, name), name, aws.URL(), s.env, good, []byte(`[1, 2]`))
	first := p.Answer(t, coldStartTimeout)
	if first.Error || first.RequestID != p.Requests[0] {
		t.Fatalf("first answer %s, want a response to %s; output:\n%s", first, p.Requests[0], p.Logs())
	}
	s.check(t, first.Body, aws.Calls())
	second := p.Answer(t, coldStartTimeout)
	if !second.Error || second.Init || second.RequestID != p.Requests[1] || errorType(second.Body) == "" {
		t.Errorf("second answer %s, want an error with an errorType to %s", second, p.Requests[1])
	}
	init := p.API.FirstNext()
	if init.IsZero() || init.Before(p.Started) || !init.Before(first.At) || first.At.After(second.At) {
		t.Errorf("started %v, first /next %v, answers at %v and %v: want them in that order", p.Started, init, first.At, second.At)
	}
	p.Kill()
	if pr := p.API.Problems(); len(pr) > 0 {
		t.Errorf("protocol problems: %v", pr)
	}
}

// TestRuntimeAPI speaks the protocol to the harness itself, as a runtime
// client does: the invocation's headers, the answer routes, and what it
// refuses.
func TestRuntimeAPI(t *testing.T) {
	api := newRuntimeAPI(t, "probe")
	base := "http://" + api.Addr() + "/" + runtimeAPIVersion + "/runtime"
	post := func(path, body string, header map[string]string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	id := api.Invoke([]byte(`{"hello":"world"}`))
	before := time.Now()
	resp, err := http.Get(base + "/invocation/next")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	h := resp.Header
	deadline, derr := strconv.ParseInt(h.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
	if resp.StatusCode != http.StatusOK || body.String() != `{"hello":"world"}` || h.Get("Lambda-Runtime-Aws-Request-Id") != id ||
		derr != nil || time.UnixMilli(deadline).Before(before) ||
		h.Get("Lambda-Runtime-Invoked-Function-Arn") != "arn:aws:lambda:us-east-1:123456789012:function:probe" ||
		!strings.HasPrefix(h.Get("Lambda-Runtime-Trace-Id"), "Root=") {
		t.Fatalf("GET next: %d %q, headers %v", resp.StatusCode, body.String(), h)
	}
	if api.FirstNext().Before(before) {
		t.Errorf("first /next at %v, before the request (%v)", api.FirstNext(), before)
	}
	if code := post("/invocation/"+id+"/response", `{"ok":true}`, nil); code != http.StatusAccepted {
		t.Errorf("POST response: %d, want 202", code)
	}
	if a := <-api.answers; a.Error || a.RequestID != id || string(a.Body) != `{"ok":true}` {
		t.Errorf("answer %s", a)
	}
	// The request was answered: a second answer to it is refused.
	if code := post("/invocation/"+id+"/error", `{}`, nil); code != http.StatusBadRequest {
		t.Errorf("a second answer: %d, want 400", code)
	}
	id2 := api.Invoke([]byte(`{}`))
	resp, err = http.Get(base + "/invocation/next")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code := post("/invocation/"+id2+"/error", `{"errorType":"Boom","errorMessage":"b"}`,
		map[string]string{"Lambda-Runtime-Function-Error-Type": "Boom"}); code != http.StatusAccepted {
		t.Errorf("POST error: %d, want 202", code)
	}
	if a := <-api.answers; !a.Error || a.RequestID != id2 || a.ErrorType != "Boom" {
		t.Errorf("error answer %s", a)
	}
	if code := post("/init/error", `{"errorType":"Runtime.ExitError"}`, nil); code != http.StatusAccepted {
		t.Errorf("POST init/error: %d, want 202", code)
	}
	if a := <-api.answers; !a.Init || errorType(a.Body) != "Runtime.ExitError" {
		t.Errorf("init error answer %s", a)
	}
	if pr := api.Problems(); len(pr) != 1 || !strings.Contains(pr[0], id) {
		t.Errorf("problems %v, want the second answer to %s", pr, id)
	}
	// A /next with nothing queued waits; the client gives up.
	client := &http.Client{Timeout: 100 * time.Millisecond}
	if _, err := client.Get(base + "/invocation/next"); err == nil {
		t.Errorf("GET next with nothing queued: %v, want it to wait", err)
	}
}
