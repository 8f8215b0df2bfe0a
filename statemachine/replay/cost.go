package replay

import (
	"maps"
	"slices"
)

// Prices are the list prices a replay's cost is computed with (USD, AWS
// us-east-1), and the durations it assumes for what is billed by duration:
// the local executor runs the handlers in-process, so their real Lambda
// and Express durations are not measured; the assumptions are stated here
// and in the README.
type Prices struct {
	// StandardTransition: Step Functions Standard, per state transition
	// ($0.025 per 1,000).
	StandardTransition float64 `json:"standardTransition"`
	// ExpressRequest: Step Functions Express, per execution ($1.00 per
	// million).
	ExpressRequest float64 `json:"expressRequest"`
	// ExpressGBSecond: Express duration, per GB-second; an execution is
	// billed in 64 MB and 100 ms increments.
	ExpressGBSecond float64 `json:"expressGBSecond"`
	// ExpressBilledMs and ExpressMemoryMB are the duration and memory
	// assumed per triage execution (two small Lambda calls: one 100 ms
	// increment of the smallest 64 MB chunk).
	ExpressBilledMs float64 `json:"expressBilledMs"`
	ExpressMemoryMB float64 `json:"expressMemoryMB"`
	// LambdaRequest: per invocation ($0.20 per million).
	LambdaRequest float64 `json:"lambdaRequest"`
	// LambdaGBSecond: Lambda duration on arm64, per GB-second.
	LambdaGBSecond float64 `json:"lambdaGBSecond"`
	// LambdaBilledMs and LambdaMemoryMB are the duration and memory assumed
	// per invocation (the steps are 256 MB functions making one or two AWS
	// calls; evaluate, 1 GB, runs once per judgement).
	LambdaBilledMs float64 `json:"lambdaBilledMs"`
	LambdaMemoryMB float64 `json:"lambdaMemoryMB"`
	// FindingIngestion: Security Hub, per finding ingestion event.
	FindingIngestion float64 `json:"findingIngestion"`
	// SNSPublish: per publish ($0.50 per million requests).
	SNSPublish float64 `json:"snsPublish"`
	// Source says where the prices come from.
	Source string `json:"source"`
}

// ListPrices are the public list prices in us-east-1 (see Source).
var ListPrices = Prices{
	StandardTransition: 0.025 / 1000,
	ExpressRequest:     1.00 / 1e6,
	ExpressGBSecond:    0.00001667,
	ExpressBilledMs:    100,
	ExpressMemoryMB:    64,
	LambdaRequest:      0.20 / 1e6,
	LambdaGBSecond:     0.0000133334,
	LambdaBilledMs:     40,
	LambdaMemoryMB:     256,
	FindingIngestion:   0.00003,
	SNSPublish:         0.50 / 1e6,
	Source: "AWS public list prices, us-east-1: aws.amazon.com/step-functions/pricing (Standard $0.025 per 1,000 state transitions; " +
		"Express $1.00 per million requests + $0.00001667 per GB-second), aws.amazon.com/lambda/pricing ($0.20 per million requests; " +
		"arm64 $0.0000133334 per GB-second), aws.amazon.com/security-hub/pricing ($0.00003 per finding ingestion event), " +
		"aws.amazon.com/sns/pricing ($0.50 per million publishes). Durations are assumptions: Express 100 ms at 64 MB per execution, " +
		"Lambda 40 ms at 256 MB per invocation.",
}

// Cost is what a replay's counters cost at Prices.
type Cost struct {
	Total                float64 `json:"total"`
	PerMillionTaskStarts float64 `json:"perMillionTaskStarts"`
	// Breakdown is the total by what is billed.
	Breakdown map[string]float64 `json:"breakdown"`
	Prices    Prices             `json:"prices"`
}

// CostOf prices the counters of s.
func CostOf(s *Summary, p Prices) Cost {
	express := p.ExpressRequest + p.ExpressGBSecond*(p.ExpressMemoryMB/1024)*(p.ExpressBilledMs/1000)
	lambda := p.LambdaRequest + p.LambdaGBSecond*(p.LambdaMemoryMB/1024)*(p.LambdaBilledMs/1000)
	b := map[string]float64{
		"standardTransitions": float64(s.StandardTransitions) * p.StandardTransition,
		"expressRequests":     float64(s.ExpressRequests) * express,
		"lambdaInvocations":   float64(s.LambdaInvocations) * lambda,
		"findingsImported":    float64(s.FindingsImported) * p.FindingIngestion,
		"snsPublishes":        float64(s.SNSPublishes) * p.SNSPublish,
	}
	c := Cost{Breakdown: b, Prices: p}
	// In a fixed order: a sum of floats depends on it, and the same counters
	// must cost the same from run to run.
	for _, k := range slices.Sorted(maps.Keys(b)) {
		c.Total += b[k]
	}
	if s.TaskStarts > 0 {
		c.PerMillionTaskStarts = c.Total / float64(s.TaskStarts) * 1e6
	}
	return c
}
