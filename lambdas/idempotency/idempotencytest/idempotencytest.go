// Package idempotencytest is a fake DynamoDB endpoint holding one claims
// table, for the tests of the idempotency package and of the steps that use
// it (record task, report failure): the real aws-sdk-go-v2 client talks to
// it over HTTP on 127.0.0.1, so that the wire shapes and error codes are
// exercised.
//
// It answers UpdateItem the way DynamoDB does for the claim's expressions
// (idempotency.ClaimUpdate, …): it refuses an expression it does not know, a
// placeholder that is not defined and a definition that is not used
// (DynamoDB's ValidationException), evaluates the condition on the stored
// item, and answers a failed condition with ConditionalCheckFailedException
// carrying the old item when ALL_OLD is asked for. Anything else is an
// UnknownOperationException.
package idempotencytest

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/ecs-compliance/ecs-compliance/lambdas/idempotency"
)

// AV is one attribute value as its JSON decodes: {"S": string},
// {"N": string}, {"BOOL": bool}.
type AV = map[string]any

// Item is a stored item: attribute name → value.
type Item = map[string]AV

// Request is one request the fake received.
type Request struct {
	Target                              string `json:"-"` // "DynamoDB_20120810.UpdateItem"
	TableName                           string
	Key                                 Item
	UpdateExpression                    string
	ConditionExpression                 string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           map[string]AV
	ReturnValues                        string
	ReturnValuesOnConditionCheckFailure string
}

// Server is the fake endpoint.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	items    map[string]Item
	requests []Request
	failSt   int
	failErr  string
	// beforeReclaim runs once, without the lock, before a reclaim
	// (idempotency.ReclaimUpdate) is applied.
	beforeReclaim func()
}

// New starts a fake that stops with the test.
func New(t testing.TB) *Server {
	s := &Server{items: map[string]Item{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// Client is a DynamoDB client of the fake, without retries.
func (s *Server) Client() *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		Retryer:      aws.NopRetryer{},
	})
}

// FailWith makes every later call fail with this status and error type
// ("com.amazonaws.dynamodb.v20120810#ThrottlingException"); "" stops it.
func (s *Server) FailWith(status int, errType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failSt, s.failErr = status, errType
}

// SetItem stores an item as it is (for items of another shape, such as
// those written before attempts existed).
func (s *Server) SetItem(key string, it Item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items[key] = it
}

// Item returns the stored item of key (nil when there is none).
func (s *Server) Item(key string) Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.items[key])
}

// Requests are the requests received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Last is the last request received.
func (s *Server) Last() Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return Request{}
	}
	return s.requests[len(s.requests)-1]
}

// BeforeReclaim sets f to run once before the next reclaim is applied:
// another writer in the window between the failed claim and the reclaim.
func (s *Server) BeforeReclaim(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beforeReclaim = f
}

var placeholder = regexp.MustCompile(`[#:][A-Za-z0-9_]+`)

// names each placeholder must stand for.
var names = map[string]string{
	"#key": idempotency.AttrKey, "#claimedBy": idempotency.AttrClaimedBy, "#firstSeen": idempotency.AttrFirstSeen,
	"#expiresAt": idempotency.AttrExpiresAt, "#attempt": idempotency.AttrAttempt, "#released": idempotency.AttrReleased,
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	body, _ := io.ReadAll(r.Body)
	var req Request
	if err := json.Unmarshal(body, &req); err != nil {
		writeErr(w, 400, "SerializationException", err.Error(), nil)
		return
	}
	req.Target = r.Header.Get("X-Amz-Target")

	s.mu.Lock()
	s.requests = append(s.requests, req)
	failSt, failErr := s.failSt, s.failErr
	hook := s.beforeReclaim
	if req.UpdateExpression == idempotency.ReclaimUpdate {
		s.beforeReclaim = nil
	} else {
		hook = nil
	}
	s.mu.Unlock()

	switch {
	case failErr != "":
		writeErr(w, failSt, failErr, "injected", nil)
		return
	case req.Target != "DynamoDB_20120810.UpdateItem":
		writeErr(w, 400, "UnknownOperationException", req.Target, nil)
		return
	}
	if msg := validate(req); msg != "" {
		writeErr(w, 400, "ValidationException", msg, nil)
		return
	}
	if hook != nil {
		hook()
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	key := req.Key[idempotency.AttrKey]["S"].(string)
	old, exists := s.items[key]
	val := func(name string) AV { return req.ExpressionAttributeValues[name] }
	now, _ := num(val(":now"))
	exp, hasExp := num(old[idempotency.AttrExpiresAt])
	attempt, hasAttempt := num(old[idempotency.AttrAttempt])
	released := old[idempotency.AttrReleased]["BOOL"] == true
	wantAttempt, _ := num(val(":attempt"))

	var ok bool
	switch req.ConditionExpression {
	case idempotency.ClaimCondition:
		ok = !exists || (released && hasExp && exp >= now)
	case idempotency.ReclaimCondition:
		ok = exists && hasExp && exp < now && hasAttempt && attempt == wantAttempt
	case idempotency.ReclaimConditionLegacy:
		ok = exists && hasExp && exp < now && !hasAttempt
	case idempotency.ReleaseCondition:
		ok = exists && hasAttempt && attempt == wantAttempt
	case idempotency.ReleaseConditionLegacy:
		ok = exists && !hasAttempt
	}
	if !ok {
		var item Item
		if exists && req.ReturnValuesOnConditionCheckFailure == "ALL_OLD" {
			item = old
		}
		writeErr(w, 400, "ConditionalCheckFailedException", "The conditional request failed", item)
		return
	}
	item := maps.Clone(old)
	if item == nil {
		item = Item{idempotency.AttrKey: {"S": key}}
	}
	switch req.UpdateExpression {
	case idempotency.ClaimUpdate:
		item[idempotency.AttrClaimedBy] = val(":executionId")
		if _, ok := item[idempotency.AttrFirstSeen]; !ok {
			item[idempotency.AttrFirstSeen] = val(":firstSeen")
		}
		item[idempotency.AttrExpiresAt] = val(":expiresAt")
		item[idempotency.AttrAttempt] = AV{"N": strconv.FormatInt(attempt+1, 10)}
		delete(item, idempotency.AttrReleased)
	case idempotency.ReclaimUpdate:
		item[idempotency.AttrClaimedBy] = val(":executionId")
		item[idempotency.AttrFirstSeen] = val(":firstSeen")
		item[idempotency.AttrExpiresAt] = val(":expiresAt")
		item[idempotency.AttrAttempt] = val(":next")
		delete(item, idempotency.AttrReleased)
	case idempotency.ReleaseUpdate:
		item[idempotency.AttrReleased] = val(":true")
	}
	s.items[key] = item
	out := map[string]any{}
	if req.ReturnValues == "ALL_NEW" {
		out["Attributes"] = item
	}
	b, _ := json.Marshal(out)
	_, _ = w.Write(b)
}

func num(av AV) (int64, bool) {
	s, ok := av["N"].(string)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// validate applies DynamoDB's expression rules: known expressions, every
// placeholder defined, every definition used, names standing for the
// attributes the expressions mean, a key of one string attribute.
func validate(req Request) string {
	updates := []string{idempotency.ClaimUpdate, idempotency.ReclaimUpdate, idempotency.ReleaseUpdate}
	if !slices.Contains(updates, req.UpdateExpression) {
		return "unexpected update expression " + req.UpdateExpression
	}
	conds := []string{idempotency.ClaimCondition, idempotency.ReclaimCondition, idempotency.ReclaimConditionLegacy,
		idempotency.ReleaseCondition, idempotency.ReleaseConditionLegacy}
	if !slices.Contains(conds, req.ConditionExpression) {
		return "unexpected condition expression " + req.ConditionExpression
	}
	used := map[string]bool{}
	for _, p := range placeholder.FindAllString(req.UpdateExpression+" "+req.ConditionExpression, -1) {
		used[p] = true
	}
	for p := range used {
		_, isName := req.ExpressionAttributeNames[p]
		_, isValue := req.ExpressionAttributeValues[p]
		if !isName && !isValue {
			return "Value or name " + p + " used in an expression is not defined"
		}
	}
	for p, name := range req.ExpressionAttributeNames {
		if !used[p] {
			return "ExpressionAttributeNames unused in expressions: " + p
		}
		if names[p] != name {
			return p + " stands for " + name
		}
	}
	for p := range req.ExpressionAttributeValues {
		if !used[p] {
			return "ExpressionAttributeValues unused in expressions: " + p
		}
	}
	if _, ok := req.Key[idempotency.AttrKey]["S"].(string); !ok || len(req.Key) != 1 {
		return "the key is not {taskArn: S}"
	}
	return ""
}

func writeErr(w http.ResponseWriter, status int, errType, msg string, item Item) {
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"__type": "com.amazonaws.dynamodb.v20120810#" + errType, "message": msg, "Item": item})
	_, _ = w.Write(b)
}
