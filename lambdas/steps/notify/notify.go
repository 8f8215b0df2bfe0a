// Package notify is the "Notify SNS topic" step: it publishes the report of an
// evaluated task (report.Message) to the SNS topic, with message attributes
// for subscription filter policies. The report-failure step publishes through
// Publish too.
package notify

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/report"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// SNSAPI is the SNS call the step makes (the real client, the in-memory
// account and test doubles fit).
type SNSAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Handler publishes the report of the workflow document to TopicArn.
type Handler struct {
	SNS      SNSAPI
	TopicArn string
}

// Handle builds the report of st and publishes it.
func (h *Handler) Handle(ctx context.Context, st contract.State) (contract.Notification, error) {
	msg, err := report.Message(st)
	if err != nil {
		return contract.Notification{}, step.Wrap(contract.ErrInvalidInput, err)
	}
	return Publish(ctx, h.SNS, h.TopicArn, msg)
}

// Publish sends msg to the topic and returns its message id and subject.
func Publish(ctx context.Context, api SNSAPI, topicArn string, msg report.SNSMessage) (contract.Notification, error) {
	if a, err := arn.Parse(topicArn); err != nil || a.Service != "sns" {
		return contract.Notification{}, step.Errorf(contract.ErrFailed, "topic ARN %q (TOPIC_ARN) is not an SNS topic ARN", topicArn)
	}
	in := &sns.PublishInput{
		TopicArn: aws.String(topicArn),
		Subject:  aws.String(msg.Subject),
		Message:  aws.String(msg.Body),
	}
	if len(msg.Attributes) > 0 {
		in.MessageAttributes = make(map[string]types.MessageAttributeValue, len(msg.Attributes))
		for name, a := range msg.Attributes {
			in.MessageAttributes[name] = types.MessageAttributeValue{
				DataType:    aws.String(a.DataType),
				StringValue: aws.String(a.Value),
			}
		}
	}
	out, err := api.Publish(ctx, in)
	if err != nil {
		return contract.Notification{}, step.AWSError("Publish "+topicArn, err)
	}
	return contract.Notification{MessageID: aws.ToString(out.MessageId), Subject: msg.Subject}, nil
}
