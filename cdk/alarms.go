package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"
)

// Nothing fails silently. A failed step ends in "Report failure" (a message
// on the report topic); these alarms, on the same topic, catch what cannot
// report itself: an execution that fails outside a Catch (States.Runtime,
// States.DataLimitExceeded of a state's output — a task's oversized result
// is caught by States.ALL —, a failing "Report failure"), times out
// (TimeoutSeconds) or is stopped by hand; an event EventBridge could not
// deliver to the triage (the dead-letter queue); and a function that
// errors, including the approval endpoint, which no state machine watches.
//
// Each alarm goes off on the first occurrence in a 5-minute period (a
// missing datapoint is no occurrence) and notifies once when it goes into
// ALARM; it goes back to OK by itself after a quiet period, without a
// message. Lambda errors have one alarm per function rather than one
// metric-math alarm: an alarm's math may read at most 10 metrics and the
// stack has up to 15 functions, and the alarm's name then says which
// function fails. At 0.10 USD per alarm-month, the stack's 21–22 alarms cost
// about 2 USD a month.

// alarmPeriod is every alarm's evaluation period.
const alarmPeriod = 5 // minutes

// addAlarms adds the stack's alarms, every one publishing to the report
// topic (the key and topic policies let this stack's alarms do so).
func (cs *ComplianceStack) addAlarms() {
	period := awscdk.Duration_Minutes(jsii.Number(alarmPeriod))
	for _, sm := range []struct {
		name    string
		what    string
		machine awsstepfunctions.StateMachine
	}{
		{"workflow", "the compliance workflow (Standard)", cs.StateMachine},
		{"triage", "the triage (Express) that the rules start", cs.Triage},
	} {
		opts := &awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}
		cs.addAlarm(sm.name+"-executions-failed", sm.machine.MetricFailed(opts),
			"An execution of "+sm.what+" failed. A failed step is reported on this topic first; an execution that fails without a "+
				"report (States.Runtime, States.DataLimitExceeded, a failing Report failure) is only seen here: open the failed executions in the Step Functions console.")
		cs.addAlarm(sm.name+"-executions-timed-out", sm.machine.MetricTimedOut(opts),
			"An execution of "+sm.what+" reached its TimeoutSeconds and was ended without a report: open the timed-out executions in the Step Functions console.")
		cs.addAlarm(sm.name+"-executions-aborted", sm.machine.MetricAborted(opts),
			"An execution of "+sm.what+" was stopped (StopExecution, by a person or a redeploy) before it finished: its task may be neither judged nor remediated.")
	}
	cs.addAlarm("events-dead-letters", cs.DeadLetters.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
		Period: period, Statistic: jsii.String("Maximum"),
	}), "EventBridge could not start the triage for at least one event (24 hours of retries): the event is in the dead-letter queue "+
		"(output DeadLetterQueueUrl), its task was not judged. Read the message's attributes for the error, fix it, and send the events again.")

	functions := map[string]awslambda.Function{}
	names := []string{}
	for _, l := range lambdaSpecs {
		functions[l.Name] = cs.Functions[l.Name]
		names = append(names, l.Name)
	}
	if cs.Approval != nil {
		functions[approvalCallbackSpec.Name] = cs.Approval.Callback
		names = append(names, approvalCallbackSpec.Name)
	}
	for _, name := range names {
		cs.addAlarm(name+"-errors", functions[name].MetricErrors(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}),
			"The "+name+" function returned an error (its JSON logs say which and why). A step's error is retried by its state and, if it persists, "+
				"reported by Report failure; this alarm also catches the errors that are retried away and those of functions no state machine watches.")
	}
}

// addAlarm adds one alarm, named STACK-SUFFIX (the key and topic policies
// let alarms named so publish), that goes off when the metric reaches 1 in
// a period. The dead-letter queue's depth is a count of messages, so 1 is
// "more than none" there too.
func (cs *ComplianceStack) addAlarm(suffix string, metric awscloudwatch.IMetric, description string) {
	alarm := awscloudwatch.NewAlarm(cs.Stack, jsii.String("Alarm-"+suffix), &awscloudwatch.AlarmProps{
		AlarmName:          awscdk.Fn_Join(jsii.String(""), &[]*string{cs.Stack.StackName(), jsii.String("-" + suffix)}),
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		DatapointsToAlarm:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	alarm.AddAlarmAction(awscloudwatchactions.NewSnsAction(cs.Topic))
}
