package dynamo_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement/dynamo"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement/judgementtest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// TestTableStoreAgainstMoto runs the same behaviour through the real
// DynamoDB client against moto's DynamoDB (real condition and update
// expression semantics).
func TestTableStoreAgainstMoto(t *testing.T) {
	table := judgementtest.MotoTable(t)
	ctx := context.Background()
	judgementtest.StoreBehaviour(t, table)
	judgementtest.StoreErrors(t, table)

	t.Run("a missing table is a named error", func(t *testing.T) {
		_, _, err := (&dynamo.Table{API: table.API, Name: "absent"}).Get(ctx, "k")
		if err == nil || step.Name(err) == contract.ErrTransient {
			t.Fatalf("got %v (%s)", err, step.Name(err))
		}
	})
	t.Run("an unconfigured table is an error", func(t *testing.T) {
		var nilTable *dynamo.Table
		if _, _, err := nilTable.Get(ctx, "k"); err == nil {
			t.Fatal("want an error")
		}
	})
	t.Run("a corrupt stored evaluation is a named error, not a panic", func(t *testing.T) {
		s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
		_, err := table.API.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table.Name), Item: map[string]types.AttributeValue{
			dynamo.AttrPK: s("judgement#bad"), "status": s("JUDGED"), "evaluation": s("{"),
			dynamo.AttrExpiresAt: &types.AttributeValueMemberN{Value: strconv.FormatInt(judgementtest.T0.Unix(), 10)}}})
		if err != nil {
			t.Fatal(err)
		}
		var named *step.Error
		if _, _, err := table.Get(ctx, "bad"); !errors.As(err, &named) {
			t.Fatalf("Get = %v; want a named error", err)
		}
	})
}
