package check

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadNeverPanics: whatever a file holds, reading it gives task
// definitions or errors with their location, never a panic, and every
// document it gives the policy is JSON.
func FuzzReadNeverPanics(f *testing.F) {
	for _, seed := range []string{
		"test/taskdefs/hardened.json", "test/taskdefs/ghcr-sidecar.yaml", "test/taskdefs/register-input.json",
		"test/templates/service.yaml", "test/templates/hardened.json", "test/templates/sam-app.yaml",
		"test/templates/cdk-assembly/EcsAppStack.template.json",
	} {
		b, err := os.ReadFile(filepath.Join("..", "..", seed))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"Resources": {"T": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [{"Image": {"Fn::Select": ["9", {"Fn::Split": [",", "a"]}]}}]}}}}`))
	f.Add([]byte("Resources:\n  T:\n    Type: AWS::ECS::TaskDefinition\n    Properties: &a\n      Family: *a\n"))
	f.Add([]byte("Resources:\n  T:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      Tags: !Sub [x, {y: !Ref z}]\n"))
	c := &Checker{env: newEnv("123456789012", "us-east-1")}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, targets, errs := c.read("fuzz.yaml", data, false)
		for _, e := range errs {
			if e.File != "fuzz.yaml" || e.Message == "" {
				t.Errorf("error without file or message: %+v", e)
			}
		}
		for _, tg := range targets {
			if _, err := json.Marshal(tg.doc); err != nil {
				t.Errorf("the document is not JSON: %v", err)
			}
		}
	})
}
