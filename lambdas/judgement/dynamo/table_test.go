package dynamo

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/internal/moto"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement/judgementtest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// TestTableStoreAgainstMoto runs the same behaviour through the real
// DynamoDB client against moto's DynamoDB (real condition and update
// expression semantics).
func TestTableStoreAgainstMoto(t *testing.T) {
	srv := moto.Start(t)
	client := dynamodb.NewFromConfig(srv.Config())
	ctx := context.Background()
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("judgements"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(AttrPK), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(AttrPK), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
	table := &Table{API: client, Name: "judgements"}
	judgementtest.StoreBehaviour(t, table)
	judgementtest.StoreErrors(t, table)

	t.Run("a missing table is a named error", func(t *testing.T) {
		_, _, err := (&Table{API: client, Name: "absent"}).Get(ctx, "k")
		if err == nil || step.Name(err) == contract.ErrTransient {
			t.Fatalf("got %v (%s)", err, step.Name(err))
		}
	})
	t.Run("an unconfigured table is an error", func(t *testing.T) {
		var nilTable *Table
		if _, _, err := nilTable.Get(ctx, "k"); err == nil {
			t.Fatal("want an error")
		}
	})
	t.Run("a corrupt stored evaluation is an error, not a panic", func(t *testing.T) {
		_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("judgements"), Item: map[string]types.AttributeValue{
			AttrPK: s(judgementPK("bad")), attrStatus: s("JUDGED"), attrEvaluation: s("{"), AttrExpiresAt: n(judgementtest.T0.Unix())}})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := table.Get(ctx, "bad"); err == nil {
			t.Fatal("want an error")
		}
		var named *step.Error
		if _, _, err := table.Get(ctx, "bad"); !errors.As(err, &named) {
			t.Fatalf("unnamed error %v", err)
		}
	})
}
