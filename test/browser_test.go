package test

// In a real browser (headless Chromium, driven with chromedp): the execution
// page that `ecs-compliance run --html` writes, and the approval
// confirmation page that the real approval callback handler serves, opened
// from the link the approvers' topic got and submitted by a click.
//
// The browser is Debian's chromium (CHROMIUM=path for another); without it
// the tests skip, unless BROWSER_REQUIRED=1 (CI sets it: .ci/run).

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/chromedp/chromedp"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/approvalcallback"
	"github.com/ecs-compliance/ecs-compliance/policies"
	"github.com/ecs-compliance/ecs-compliance/statemachine/offline"
)

// browser starts a headless Chromium for the test (stopped when it ends) and
// returns its context. The page's console errors and uncaught exceptions
// (a script the page's Content-Security-Policy refused among them) fail the
// test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		for _, name := range []string{"chromium", "chromium-browser"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		if os.Getenv("BROWSER_REQUIRED") == "1" {
			t.Fatal("Chromium is required (BROWSER_REQUIRED=1) but not installed: apt-get install chromium")
		}
		t.Skip("no Chromium (apt-get install chromium, or CHROMIUM=path): the pages are not checked in a browser")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		// The machine may have no internet: Chromium must not try.
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1400, 1000))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	tctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	start := time.Now()
	if err := chromedp.Do(tctx); err != nil { // starts the browser
		t.Fatalf("start %s: %v", path, err)
	}
	var mu sync.Mutex
	var problems []string
	messages := chromedp.Console(tctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { // runs first: the browser still runs
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Errorf("in the browser: %s", p)
		}
	})
	t.Logf("Chromium started in %v", time.Since(start).Round(time.Millisecond))
	return tctx
}

// do runs browser actions, failing the test on an error.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// text is the visible text of the element a CSS selector selects.
func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("%s: %v", css, err)
	}
	return v
}

// aslStates are the names of every state of an ASL file (nested ones
// included), read with encoding/json alone, and its StartAt.
func aslStates(t *testing.T, file string) (names []string, startAt string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	type machine struct {
		StartAt string
		States  map[string]json.RawMessage
	}
	var walk func(m machine)
	walk = func(m machine) {
		for name, raw := range m.States {
			names = append(names, name)
			var s struct {
				Branches                []machine
				ItemProcessor, Iterator *machine
			}
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatal(err)
			}
			for _, b := range s.Branches {
				walk(b)
			}
			for _, p := range []*machine{s.ItemProcessor, s.Iterator} {
				if p != nil {
					walk(*p)
				}
			}
		}
	}
	var m machine
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	walk(m)
	slices.Sort(names)
	return names, m.StartAt
}

// cssString quotes s for a CSS attribute selector.
func cssString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\a `).Replace(s) + `"`
}

// The demo's page: every state of both machines drawn once; each event's
// executions marked as its record says (the states entered, nothing else);
// a click on a state shows its input, which carries the event; and a failed
// execution's failed states are red.
func TestExecutionPageInChromium(t *testing.T) {
	ctx := browser(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "demo.html")
	eventFiles := []string{"events/ecr-service-task.json", "events/dockerhub-service-task.json",
		"events/dockerhub-service-task-running.json", "events/dockerhub-service-task-second.json"}
	recs := run(t, 0, append([]string{"--mode", "enforce", "--world", "worlds/demo.json", "--html", page}, eventFiles...)...)

	machines := []struct{ name, file string }{{"triage", "../statemachine/triage.asl.json"}, {"workflow", "../statemachine/workflow.asl.json"}}
	start := time.Now()
	do(t, ctx, chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.CSS(`button.run[data-run="0"]`)))
	t.Logf("page loaded in %v", time.Since(start).Round(time.Millisecond))

	for _, m := range machines {
		want, _ := aslStates(t, m.file)
		drawn := eval[[]string](t, ctx, fmt.Sprintf(
			`Array.from(document.querySelectorAll('svg.graph[data-machine=%s] [data-state]')).map(e => e.getAttribute('data-state'))`,
			cssString(m.name)))
		slices.Sort(drawn)
		if !slices.Equal(drawn, want) {
			t.Errorf("%s: %d states drawn, want the ASL's %d, once each:\ndrawn %q\nwant  %q", m.name, len(drawn), len(want), drawn, want)
		}
	}

	// Each event's path: the states marked are those its record entered.
	for i, rec := range recs {
		do(t, ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`button.run[data-run="%d"]`, i))))
		for _, m := range machines {
			marked := eval[[]string](t, ctx, fmt.Sprintf(
				`Array.from(document.querySelectorAll('svg.graph[data-machine=%s] [data-state]')).filter(e => /\bm-/.test(e.getAttribute('class'))).map(e => e.getAttribute('data-state'))`,
				cssString(m.name)))
			entered := rec.Triage
			if m.name == "workflow" {
				entered = rec.States
			}
			want := slices.Compact(slices.Sorted(slices.Values(entered)))
			slices.Sort(marked)
			if !slices.Equal(marked, want) {
				t.Errorf("event %s, %s: marked %q, want the states entered %q", rec.Event, m.name, marked, want)
			}
		}
	}

	// A click on a state shows its input: the first state of each machine
	// gets the event (the triage's input is the event; the workflow's
	// carries its detail).
	var event struct {
		Detail struct {
			TaskArn string `json:"taskArn"`
		} `json:"detail"`
	}
	b, err := os.ReadFile(eventFiles[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &event); err != nil || event.Detail.TaskArn == "" {
		t.Fatalf("the event's taskArn: %v", err)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`button.run[data-run="1"]`)))
	for _, m := range machines {
		_, startAt := aslStates(t, m.file)
		start := time.Now()
		do(t, ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`svg.graph[data-machine=%s] [data-state=%s]`, cssString(m.name), cssString(startAt)))))
		title := text(t, ctx, `#inspector-title`)
		body := text(t, ctx, `#inspector-body`)
		t.Logf("%s: click on %q and its input shown in %v", m.name, startAt, time.Since(start).Round(time.Millisecond))
		if title != startAt || !strings.Contains(body, "Input") || !strings.Contains(body, event.Detail.TaskArn) || !strings.Contains(body, "Output") {
			t.Errorf("%s: after a click on %q the inspector shows %q:\n%s\nwant the state's input with the event's task %s", m.name, startAt, title, body, event.Detail.TaskArn)
		}
	}

	// A failed execution: every AWS call throttled more often than the
	// retries allow. Its failed states are red.
	failed := filepath.Join(dir, "failed.html")
	run(t, 1, "--throttle-first", "40", "--html", failed, eventFiles[1])
	do(t, ctx, chromedp.Navigate("file://"+failed), chromedp.WaitVisible(chromedp.CSS(`button.run[data-run="0"]`)))
	red := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('.state.m-failed, .state.m-caught')).filter(e =>
			getComputedStyle(e.querySelector('.shape')).stroke === 'rgb(198, 40, 40)').map(e => e.getAttribute('data-state'))`)
	if len(red) < 2 { // the step that failed, and the Fail state
		t.Errorf("failed states drawn red: %q, want the failed step and the Fail state", red)
	}
	// An event with HTML and script in its name and its fields: shown as
	// text, nothing runs.
	const script, img = `</script><script>window.injected = 1</script>`, `<img src=x onerror="window.injected = 2">`
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	ev["detail"].(map[string]any)["note"] = script + img
	hostileEvent := filepath.Join(dir, `<img src=x onerror="window.injected = 3">.json`)
	if b, err = json.Marshal(ev); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hostileEvent, b, 0o644); err != nil {
		t.Fatal(err)
	}
	hostile := filepath.Join(dir, "hostile.html")
	run(t, 0, "--html", hostile, hostileEvent)
	_, startAt := aslStates(t, machines[0].file)
	do(t, ctx, chromedp.Navigate("file://"+hostile), chromedp.WaitVisible(chromedp.CSS(`button.run[data-run="0"]`)),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`svg.graph[data-machine="triage"] [data-state=%s]`, cssString(startAt)))))
	if got := eval[string](t, ctx, `typeof window.injected + " " + document.images.length`); got != "undefined 0" {
		t.Errorf("the event's text ran or made an image: %s", got)
	}
	if list := text(t, ctx, `#runs`); !strings.Contains(list, filepath.Base(hostileEvent)) {
		t.Errorf("the events' list does not show the event's name as text:\n%s", list)
	}
	if body := text(t, ctx, `#inspector-body`); !strings.Contains(body, strings.ReplaceAll(script+img, `"`, `\"`)) {
		t.Errorf("the inspector does not show the event's field as text:\n%s", body)
	}
}

// functionURL serves a Lambda handler as its function URL does: each HTTP
// request becomes a LambdaFunctionURLRequest (payload 2.0: lower-case
// headers, the raw path and query, a form body base64-encoded), the handler
// is invoked through its JSON encoding, and its LambdaFunctionURLResponse
// becomes the HTTP response.
func functionURL(t *testing.T, h *approvalcallback.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		now := time.Now().UTC()
		ip, _, _ := net.SplitHostPort(r.RemoteAddr)
		req := events.LambdaFunctionURLRequest{
			Version: "2.0", RawPath: r.URL.EscapedPath(), RawQueryString: r.URL.RawQuery, Headers: map[string]string{},
			RequestContext: events.LambdaFunctionURLRequestContext{
				DomainName: r.Host, RequestID: fmt.Sprintf("local-%d", now.UnixNano()),
				Time: now.Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
				HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: r.Method, Path: r.URL.Path,
					Protocol: r.Proto, SourceIP: ip, UserAgent: r.UserAgent()},
			},
		}
		for k, v := range r.Header {
			if strings.EqualFold(k, "Cookie") {
				req.Cookies = v
				continue
			}
			req.Headers[strings.ToLower(k)] = strings.Join(v, ",")
		}
		if q := r.URL.Query(); len(q) > 0 {
			req.QueryStringParameters = map[string]string{}
			for k, v := range q {
				req.QueryStringParameters[k] = strings.Join(v, ",")
			}
		}
		if len(body) > 0 {
			req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
		payload, err := json.Marshal(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		out, err := step.Invoke(r.Context(), h.Handle, payload)
		if err != nil {
			t.Errorf("the approval callback failed: %v", err)
			http.Error(w, "Internal Server Error", http.StatusBadGateway)
			return
		}
		var resp events.LambdaFunctionURLResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		for _, c := range resp.Cookies {
			w.Header().Add("Set-Cookie", c)
		}
		b := []byte(resp.Body)
		if resp.IsBase64Encoded {
			if b, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(b)
	})
}

// serve serves h on 127.0.0.1 until the test ends, and returns its address.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().String()
}

// An approval-gated remediation answered in a browser: the workflow runs
// offline and waits; the link of the request the approvers' topic got opens
// the confirmation page of the real callback handler (served on 127.0.0.1
// as its function URL would serve it), a person types a name and presses
// approve; the decision reaches the waiting execution through Step
// Functions' SendTaskSuccess, and the workflow remediates.
func TestApprovalPageInChromium(t *testing.T) {
	ctx := browser(t)
	// The steps log as Lambdas do; the test's output does not need it.
	logger := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	t.Cleanup(func() { slog.SetDefault(logger) })
	world, err := inmemory.ReadWorldFile("worlds/demo.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("events/dockerhub-service-task.json")
	if err != nil {
		t.Fatal(err)
	}
	ev := offline.Event{Name: "events/dockerhub-service-task.json", JSON: b}
	const person = "Browser Approver <approver@example.com>"
	var asked int
	var page string
	// The function URL: this server, for the handler of the request.
	var endpoint atomic.Pointer[http.Handler]
	host := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := endpoint.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	}))
	opts := offline.Options{
		World: &world, Policy: policies.FS, Mode: contract.ModeEnforce, Approval: offline.ApprovalApprove,
		// The wait for approval times out after 24 simulated hours: 86 s
		// at this scale, time enough for the browser.
		TimeScale: 1e-3,
		Approver: func(_ context.Context, req offline.ApprovalRequest) error {
			asked++
			if !strings.Contains(req.Message.Message, req.Link) {
				return fmt.Errorf("the link %s is not in the request the approvers got:\n%s", req.Link, req.Message.Message)
			}
			// The link's path and query, as the message has them, on
			// this server.
			u, err := url.Parse(req.Link)
			if err != nil {
				return err
			}
			h := functionURL(t, req.Endpoint)
			endpoint.Store(&h)
			u.Scheme, u.Host = "http", host
			start := time.Now()
			err = chromedp.Do(ctx,
				chromedp.Navigate(u.String()),
				chromedp.WaitVisible(chromedp.CSS(`form button[type=submit]`)),
				chromedp.SendKeys(chromedp.CSS(`#approver`), person),
				chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
				chromedp.WaitNotPresent(chromedp.CSS(`form`)))
			if err == nil {
				page, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`body`)))
			}
			t.Logf("approval page opened, form filled in and submitted in %v", time.Since(start).Round(time.Millisecond))
			return err
		},
	}
	r, err := offline.New(opts, []offline.Event{ev})
	if err != nil {
		t.Fatal(err)
	}
	rec := r.Run(context.Background(), ev)
	if asked != 1 {
		t.Fatalf("the approver was asked %d times, want once", asked)
	}
	if !strings.Contains(page, "approved by "+person) {
		t.Errorf("the page after the click says:\n%s", page)
	}
	answers := r.Account.TaskAnswers()
	if len(answers) != 1 || answers[0].API != "SendTaskSuccess" {
		t.Fatalf("Step Functions got %+v, want one SendTaskSuccess", answers)
	}
	var got contract.Approval
	if err := json.Unmarshal([]byte(answers[0].Output), &got); err != nil || got.Decision != contract.ApprovalApproved || got.Approver != person {
		t.Errorf("SendTaskSuccess output %s (%v), want the decision APPROVED by %q", answers[0].Output, err, person)
	}
	if rec.Status != "SUCCEEDED" || rec.Approval == nil || rec.Approval.Decision != contract.ApprovalApproved || rec.Approval.Approver != person {
		t.Fatalf("status %s (%s: %s), approval %+v", rec.Status, rec.Error, rec.Cause, rec.Approval)
	}
	var apis []string
	for _, a := range rec.Actions {
		apis = append(apis, a.API)
	}
	if !slices.Equal(apis, remediation) {
		t.Errorf("after the approval the workflow changed %v, want %v", apis, remediation)
	}
	// The report names the person.
	if n := rec.Notifications; len(n) != 2 || !strings.Contains(n[1].Message, "approved by "+person) {
		t.Errorf("notifications %+v: want the request, then the report naming %q", n, person)
	}
}
