package inmemory

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// Published is one message published to SNS.
type Published struct {
	TopicArn  string `json:"topicArn"`
	MessageID string `json:"messageId"`
	Subject   string `json:"subject,omitempty"`
	Message   string `json:"message"`
	// Attributes are the message attributes' values (StringValue, or the
	// binary value as a string).
	Attributes map[string]string `json:"attributes,omitempty"`
}

// SNS limits.
const (
	maxSubject           = 100
	maxMessageBytes      = 256 * 1024
	maxMessageAttributes = 10
)

func snsInvalid(op, msg string) error {
	return opError(serviceSNS, op, &types.InvalidParameterException{Message: aws.String(msg)})
}

// Publish puts a message in the outbox (Notifications). As SNS does, it
// wants a topic ARN, a non-empty message under 256 KiB, a subject of at most
// 100 printable ASCII characters without line breaks, and at most 10
// message attributes each with a DataType and a value.
func (a *Account) Publish(ctx context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	const op = "Publish"
	if in == nil || in.Message == nil {
		return nil, paramsError(serviceSNS, op, "PublishInput", "Message")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	topic := aws.ToString(in.TopicArn)
	if topic == "" {
		topic = aws.ToString(in.TargetArn)
	}
	if err := a.begin(ctx, serviceSNS, op, topic+"\x00"+aws.ToString(in.Subject)); err != nil {
		return nil, err
	}
	if topic == "" {
		return nil, snsInvalid(op, "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
	}
	if p, err := arn.Parse(topic); err != nil || p.Service != "sns" || p.Resource == "" || strings.Contains(p.Resource, ":") {
		return nil, snsInvalid(op, "Invalid parameter: TopicArn")
	}
	msg := *in.Message
	switch {
	case msg == "":
		return nil, snsInvalid(op, "Invalid parameter: Empty message")
	case len(msg) > maxMessageBytes:
		return nil, snsInvalid(op, "Invalid parameter: Message too long")
	case !utf8.ValidString(msg):
		return nil, snsInvalid(op, "Invalid parameter: Message is not valid UTF-8")
	}
	if in.Subject != nil {
		if err := checkSubject(*in.Subject); err != nil {
			return nil, snsInvalid(op, "Invalid parameter: Subject ("+err.Error()+")")
		}
	}
	if len(in.MessageAttributes) > maxMessageAttributes {
		return nil, snsInvalid(op, fmt.Sprintf("Invalid parameter: MessageAttributes (%d attributes; at most %d)", len(in.MessageAttributes), maxMessageAttributes))
	}
	attrs := map[string]string{}
	names := make([]string, 0, len(in.MessageAttributes))
	for n := range in.MessageAttributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := in.MessageAttributes[n]
		dt := aws.ToString(v.DataType)
		switch {
		case n == "" || strings.HasPrefix(strings.ToLower(n), "aws.") || strings.HasPrefix(strings.ToLower(n), "amazon."):
			return nil, snsInvalid(op, fmt.Sprintf("Invalid parameter: MessageAttributes name %q is reserved or empty", n))
		case dt == "":
			return nil, snsInvalid(op, fmt.Sprintf("Invalid parameter: MessageAttributes DataType of %q is required", n))
		case dt == "Binary" || strings.HasPrefix(dt, "Binary."):
			if len(v.BinaryValue) == 0 {
				return nil, snsInvalid(op, fmt.Sprintf("Invalid parameter: MessageAttributes %q has no BinaryValue", n))
			}
			attrs[n] = string(v.BinaryValue)
		case dt == "String" || dt == "Number" || dt == "String.Array" || strings.HasPrefix(dt, "String.") || strings.HasPrefix(dt, "Number."):
			if aws.ToString(v.StringValue) == "" {
				return nil, snsInvalid(op, fmt.Sprintf("Invalid parameter: MessageAttributes %q has no StringValue", n))
			}
			attrs[n] = *v.StringValue
		default:
			return nil, snsInvalid(op, fmt.Sprintf("Invalid parameter: MessageAttributes %q has DataType %q", n, dt))
		}
	}
	if len(attrs) == 0 {
		attrs = nil
	}
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", len(a.outbox)+1)
	a.outbox = append(a.outbox, Published{
		TopicArn: topic, MessageID: id, Subject: aws.ToString(in.Subject), Message: msg, Attributes: attrs,
	})
	return &sns.PublishOutput{MessageId: aws.String(id)}, nil
}

func checkSubject(s string) error {
	if s == "" {
		return fmt.Errorf("empty")
	}
	if len(s) > maxSubject {
		return fmt.Errorf("%d characters; at most %d", len(s), maxSubject)
	}
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return fmt.Errorf("%q is not a printable ASCII character", r)
		}
	}
	return nil
}

// Notifications are the messages published, in order.
func (a *Account) Notifications() []Published {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Published{}, a.outbox...)
}

// NotificationsSince are the messages published after m.
func (a *Account) NotificationsSince(m Mark) []Published {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Published{}, a.outbox[min(m.notifications, len(a.outbox)):]...)
}
