package inmemory_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
)

func str(v string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

func TestPublish(t *testing.T) {
	a := newAccount(t)
	out, err := a.Publish(context.Background(), &sns.PublishInput{
		TopicArn: aws.String(topic), Subject: aws.String("[ecs-compliance] api stopped"), Message: aws.String("body"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"severity": str("HIGH"),
			"rules":    {DataType: aws.String("String.Array"), StringValue: aws.String(`["registry"]`)},
			"count":    {DataType: aws.String("Number"), StringValue: aws.String("2")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	second, err := a.Publish(context.Background(), &sns.PublishInput{TargetArn: aws.String(topic), Message: aws.String("two")})
	if err != nil {
		t.Fatal(err)
	}
	want := []inmemory.Published{
		{TopicArn: topic, MessageID: aws.ToString(out.MessageId), Subject: "[ecs-compliance] api stopped", Message: "body",
			Attributes: map[string]string{"severity": "HIGH", "rules": `["registry"]`, "count": "2"}},
		{TopicArn: topic, MessageID: aws.ToString(second.MessageId), Message: "two"},
	}
	if got := a.Notifications(); !reflect.DeepEqual(got, want) {
		t.Fatalf("notifications %+v", got)
	}
	if aws.ToString(out.MessageId) == aws.ToString(second.MessageId) {
		t.Fatal("message IDs repeat")
	}
}

func TestPublishRefuses(t *testing.T) {
	many := map[string]types.MessageAttributeValue{}
	for _, k := range strings.Split("a b c d e f g h i j k", " ") {
		many[k] = str("v")
	}
	cases := []struct {
		name string
		in   *sns.PublishInput
		want string
	}{
		{"no topic", &sns.PublishInput{Message: aws.String("m")}, "TopicArn"},
		{"a topic that is not an SNS ARN", &sns.PublishInput{TopicArn: aws.String("arn:aws:sqs:us-east-1:1:q"), Message: aws.String("m")}, "TopicArn"},
		{"an empty message", &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("")}, "Empty message"},
		{"a message over 256 KiB", &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(strings.Repeat("x", 256*1024+1))}, "too long"},
		{"a subject of 101 characters", &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("m"), Subject: aws.String(strings.Repeat("s", 101))}, "Subject"},
		{"a subject with a line break", &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("m"), Subject: aws.String("a\nb")}, "Subject"},
		{"a subject that is not ASCII", &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("m"), Subject: aws.String("tâche")}, "Subject"},
		{"an empty subject", &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("m"), Subject: aws.String("")}, "Subject"},
		{"an attribute without a data type", &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("m"),
			MessageAttributes: map[string]types.MessageAttributeValue{"a": {StringValue: aws.String("v")}}}, "DataType"},
		{"a string attribute without a value", &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("m"),
			MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("String")}}}, "StringValue"},
		{"a reserved attribute name", &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("m"),
			MessageAttributes: map[string]types.MessageAttributeValue{"AWS.x": str("v")}}, "reserved"},
		{"more than 10 attributes", &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("m"), MessageAttributes: many}, "at most 10"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newAccount(t)
			_, err := a.Publish(context.Background(), tc.in)
			wantAPIError(t, err, "InvalidParameter", tc.want) // SNS's code for InvalidParameterException
			if n := len(a.Notifications()); n != 0 {
				t.Fatalf("%d messages published", n)
			}
		})
	}
}
