// Package approvaltest is a fake AWS endpoint for the approval packages'
// tests: the real aws-sdk-go-v2 clients talk to it over HTTP on 127.0.0.1,
// so that the wire shapes and error codes are exercised. It answers what the
// approval steps call — DynamoDB PutItem/GetItem/UpdateItem on the approvals
// table (with the store's exact conditions, evaluated as DynamoDB would),
// Secrets Manager GetSecretValue, Step Functions SendTaskSuccess and
// SendTaskFailure (with task tokens that wait, are answered or time out) and
// SNS Publish — and records every call.
package approvaltest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval/store"
)

// Names the fake answers to.
const (
	Table     = "approvals"
	SecretID  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecs-compliance-approval-AbCdEf"
	SecretVal = "approvaltest-signing-secret-0123456789abcdef"
	Region    = "us-east-1"
)

// Token states.
const (
	TokenWaiting  = "waiting"
	TokenAnswered = "answered"
	TokenTimedOut = "timed-out"
)

// AV is one DynamoDB attribute value as its JSON decodes: {"S": string},
// {"N": string} or {"SS": []any}.
type AV = map[string]any

// Call is one request the fake received: the operation ("PutItem",
// "GetSecretValue", "SendTaskSuccess", "Publish") and its input.
type Call struct {
	Op    string
	Input map[string]any
}

// Server is the fake endpoint. Set its fields (under Lock) before the calls.
type Server struct {
	srv *httptest.Server

	mu sync.Mutex
	// Items are the approvals table's items by reference, in DynamoDB's
	// attribute-value JSON ({"S": "..."}, {"N": "..."}, {"SS": [...]}).
	Items map[string]map[string]AV
	// Secret is the SecretString GetSecretValue returns.
	Secret string
	// Tokens are the Step Functions task tokens and their state; an unknown
	// token is TaskDoesNotExist.
	Tokens map[string]string
	calls  []Call
	fail   map[string][]failure
}

type failure struct {
	status int
	code   string
}

// New starts the fake; the test's cleanup stops it.
func New(t testing.TB) *Server {
	s := &Server{Items: map[string]map[string]AV{}, Secret: SecretVal, Tokens: map[string]string{}, fail: map[string][]failure{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the endpoint's address.
func (s *Server) URL() string { return s.srv.URL }

// FailNext makes the next n calls of op fail with the HTTP status and error
// code (e.g. 400 "ThrottlingException", 400 "TaskTimedOut", 500
// "InternalServerError").
func (s *Server) FailNext(op string, n, status int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fail[op] = append(s.fail[op], failure{status, code})
	}
}

// Calls are the calls received, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call{}, s.calls...)
}

// Ops are the operations received, in order.
func (s *Server) Ops() []string {
	var out []string
	for _, c := range s.Calls() {
		out = append(out, c.Op)
	}
	return out
}

// Item returns a copy of the item of ref (nil when none).
func (s *Server) Item(ref string) map[string]AV {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.Items[ref]
	if !ok {
		return nil
	}
	out := map[string]AV{}
	for k, v := range it {
		out[k] = AV{}
		for t, x := range v {
			if l, ok := x.([]any); ok {
				x = slices.Clone(l)
			}
			out[k][t] = x
		}
	}
	return out
}

// SetToken sets the state of a task token.
func (s *Server) SetToken(token, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Tokens[token] = state
}

// SetSecret sets the SecretString GetSecretValue returns.
func (s *Server) SetSecret(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Secret = v
}

// Token is the state of a task token ("" when unknown).
func (s *Server) Token(token string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Tokens[token]
}

var creds = credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")

// DynamoDB is a real DynamoDB client of the fake.
func (s *Server) DynamoDB() *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{Region: Region, BaseEndpoint: aws.String(s.URL()), Credentials: creds, RetryMaxAttempts: 1})
}

// SecretsManager is a real Secrets Manager client of the fake.
func (s *Server) SecretsManager() *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{Region: Region, BaseEndpoint: aws.String(s.URL()), Credentials: creds, RetryMaxAttempts: 1})
}

// SFN is a real Step Functions client of the fake.
func (s *Server) SFN() *sfn.Client {
	return sfn.New(sfn.Options{Region: Region, BaseEndpoint: aws.String(s.URL()), Credentials: creds, RetryMaxAttempts: 1})
}

// SNS is a real SNS client of the fake.
func (s *Server) SNS() *sns.Client {
	return sns.New(sns.Options{Region: Region, BaseEndpoint: aws.String(s.URL()), Credentials: creds, RetryMaxAttempts: 1})
}

// request is the JSON of a DynamoDB, Secrets Manager or Step Functions call.
type request struct {
	TableName                           string
	Item                                map[string]AV
	Key                                 map[string]AV
	ConditionExpression                 string
	UpdateExpression                    string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           map[string]AV
	ReturnValues                        string
	ReturnValuesOnConditionCheckFailure string
	ConsistentRead                      bool
	SecretId                            string
	TaskToken                           string
	Output                              string
	Error                               string
	Cause                               string
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	target := r.Header.Get("X-Amz-Target")
	var op string
	var in map[string]any
	if target != "" {
		_, op, _ = strings.Cut(target, ".")
		_ = json.Unmarshal(body, &in)
	} else {
		form, _ := url.ParseQuery(string(body))
		op = form.Get("Action")
		in = map[string]any{}
		for k := range form {
			in[k] = form.Get(k)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Op: op, Input: in})
	if fs := s.fail[op]; len(fs) > 0 {
		s.fail[op] = fs[1:]
		if target == "" { // query protocol (SNS): an XML error
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(fs[0].status)
			fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>injected by the test</Message></Error><RequestId>req</RequestId></ErrorResponse>`, fs[0].code)
			return
		}
		writeErr(w, fs[0].status, fs[0].code, "injected by the test", nil)
		return
	}
	var req request
	_ = json.Unmarshal(body, &req)
	switch op {
	case "PutItem":
		s.putItem(w, req)
	case "GetItem":
		if req.TableName != Table {
			writeErr(w, 400, "ResourceNotFoundException", "Requested resource not found", nil)
			return
		}
		answer(w, map[string]any{"Item": s.Items[str(req.Key[store.AttrReference])]})
	case "UpdateItem":
		s.updateItem(w, req)
	case "GetSecretValue":
		if req.SecretId != SecretID {
			writeErr(w, 400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.", nil)
			return
		}
		answer(w, map[string]any{"ARN": SecretID, "Name": "ecs-compliance-approval", "SecretString": s.Secret, "VersionId": "v1", "VersionStages": []string{"AWSCURRENT"}})
	case "SendTaskSuccess", "SendTaskFailure":
		switch s.Tokens[req.TaskToken] {
		case "":
			writeErr(w, 400, "TaskDoesNotExist", "Task Token does not exist", nil)
		case TokenWaiting:
			if op == "SendTaskSuccess" && !json.Valid([]byte(req.Output)) {
				writeErr(w, 400, "InvalidOutput", "Invalid Output", nil)
				return
			}
			s.Tokens[req.TaskToken] = TokenAnswered
			answer(w, map[string]any{})
		default:
			writeErr(w, 400, "TaskTimedOut", "Task Timed Out: the task is closed", nil)
		}
	case "Publish":
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>msg-%d</MessageId></PublishResult><ResponseMetadata><RequestId>req</RequestId></ResponseMetadata></PublishResponse>`, len(s.calls))
	default:
		writeErr(w, 400, "UnknownOperationException", "the fake does not answer "+op, nil)
	}
}

func (s *Server) putItem(w http.ResponseWriter, req request) {
	if req.TableName != Table {
		writeErr(w, 400, "ResourceNotFoundException", "Requested resource not found", nil)
		return
	}
	if req.ConditionExpression != store.PutCondition || req.ExpressionAttributeNames["#ref"] != store.AttrReference {
		writeErr(w, 400, "ValidationException", "unexpected condition "+req.ConditionExpression, nil)
		return
	}
	ref := str(req.Item[store.AttrReference])
	if old, ok := s.Items[ref]; ok {
		s.conditionFailed(w, req, old)
		return
	}
	s.Items[ref] = req.Item
	answer(w, map[string]any{})
}

// updateItem evaluates the store's three updates as DynamoDB would.
func (s *Server) updateItem(w http.ResponseWriter, req request) {
	if req.TableName != Table {
		writeErr(w, 400, "ResourceNotFoundException", "Requested resource not found", nil)
		return
	}
	ref := str(req.Key[store.AttrReference])
	item, exists := s.Items[ref]
	names, vals := req.ExpressionAttributeNames, req.ExpressionAttributeValues
	attr := func(placeholder string) string { return names[placeholder] }
	get := func(placeholder string) AV {
		if item == nil {
			return nil
		}
		return item[attr(placeholder)]
	}
	var ok bool
	switch {
	case req.UpdateExpression == store.DecideUpdate && req.ConditionExpression == store.DecideCondition,
		req.UpdateExpression == store.DecideFormUpdate && req.ConditionExpression == store.DecideFormCondition:
		form := req.ConditionExpression == store.DecideFormCondition
		if form && (attr("#formNonces") != store.AttrFormNonces || str(vals[":nonce"]) == "" || len(set(vals[":nonces"])) != 1) {
			writeErr(w, 400, "ValidationException", "a form decision without its nonce", nil)
			return
		}
		exp, _ := strconv.ParseInt(num(get("#expiresAt")), 10, 64)
		now, _ := strconv.ParseInt(num(vals[":now"]), 10, 64)
		ok = exists && str(get("#status")) == str(vals[":pending"]) && exp >= now
		if form {
			// NOT contains(#formNonces, :nonce): true when the set is missing.
			ok = ok && !slices.Contains(set(get("#formNonces")), str(vals[":nonce"]))
		}
		if ok {
			for _, p := range []struct{ name, val string }{{"#status", ":decision"}, {"#approver", ":approver"}, {"#reason", ":reason"},
				{"#decidedAt", ":decidedAt"}, {"#decidedFrom", ":from"}} {
				item[attr(p.name)] = vals[p.val]
			}
			if form { // ADD #formNonces :nonces
				nonces := set(get("#formNonces"))
				for _, n := range set(vals[":nonces"]) {
					if !slices.Contains(nonces, n) {
						nonces = append(nonces, n)
					}
				}
				l := make([]any, len(nonces))
				for i, n := range nonces {
					l[i] = n
				}
				item[store.AttrFormNonces] = AV{"SS": l}
			}
		}
	case req.UpdateExpression == store.ReopenUpdate && req.ConditionExpression == store.ReopenCondition:
		ok = exists && str(get("#status")) == str(vals[":decision"]) && str(get("#decidedAt")) == str(vals[":decidedAt"])
		if ok {
			item[attr("#status")] = vals[":pending"]
			for _, n := range []string{"#approver", "#reason", "#decidedAt", "#decidedFrom"} {
				delete(item, attr(n))
			}
		}
	case req.UpdateExpression == store.DeliveryUpdate && req.ConditionExpression == store.DeliveryCondition:
		ok = exists
		if ok {
			item[attr("#delivery")] = vals[":delivery"]
		}
	default:
		writeErr(w, 400, "ValidationException", "unexpected update "+req.UpdateExpression+" / "+req.ConditionExpression, nil)
		return
	}
	if !ok {
		s.conditionFailed(w, req, item)
		return
	}
	if req.ReturnValues == "ALL_NEW" {
		answer(w, map[string]any{"Attributes": item})
		return
	}
	answer(w, map[string]any{})
}

// str, num and set read an attribute value's S, N and SS.
func str(v AV) string { s, _ := v["S"].(string); return s }
func num(v AV) string { s, _ := v["N"].(string); return s }
func set(v AV) []string {
	l, _ := v["SS"].([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (s *Server) conditionFailed(w http.ResponseWriter, req request, old map[string]AV) {
	if req.ReturnValuesOnConditionCheckFailure != "ALL_OLD" {
		old = nil
	}
	writeErr(w, 400, "ConditionalCheckFailedException", "The conditional request failed", old)
}

func answer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code, msg string, item map[string]AV) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	doc := map[string]any{"__type": code, "message": msg}
	if item != nil {
		doc["Item"] = item
	}
	_ = json.NewEncoder(w).Encode(doc)
}
