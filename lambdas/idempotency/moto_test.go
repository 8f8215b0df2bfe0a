package idempotency_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/idempotency"
	"github.com/ecs-compliance/ecs-compliance/lambdas/internal/moto"
)

// TestTableScenariosAgainstMoto runs the scenarios through the real
// DynamoDB client against moto's DynamoDB: the claim's condition and update
// expressions evaluated by an independent emulator, not by the fake (which
// applies each expression's meaning as it knows it, whatever its text).
func TestTableScenariosAgainstMoto(t *testing.T) {
	client := dynamodb.NewFromConfig(moto.Start(t).Config())
	for i, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			name := aws.String(fmt.Sprintf("claims-%d", i))
			if _, err := client.CreateTable(context.Background(), &dynamodb.CreateTableInput{
				TableName:            name,
				AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(idempotency.AttrKey), AttributeType: types.ScalarAttributeTypeS}},
				KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(idempotency.AttrKey), KeyType: types.KeyTypeHash}},
				BillingMode:          types.BillingModePayPerRequest,
			}); err != nil {
				t.Fatal(err)
			}
			runScenario(t, &idempotency.Table{API: client, Name: *name}, sc.ops)
		})
	}
}
