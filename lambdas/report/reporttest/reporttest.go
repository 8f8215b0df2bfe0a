// Package reporttest gives tests the workflow documents of the report
// package's golden scenarios (lambdas/report/testdata/<name>.state.json), so
// that the steps that send reports test on the same states the texts are
// pinned with.
package reporttest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

// State returns the scenario's workflow document.
func State(t testing.TB, name string) contract.State {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "testdata", name+".state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st contract.State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("%s.state.json: %v", name, err)
	}
	return st
}
