package bundle

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestReadFSKeepsModulesAndDataOnly(t *testing.T) {
	fsys := fstest.MapFS{
		"data.json":                         {Data: []byte(`{}`)},
		"lib/util.rego":                     {Data: []byte("package lib")},
		"rules/registry/registry.rego":      {Data: []byte("package r")},
		"rules/registry/registry_test.rego": {Data: []byte("package r_test")},
		"rules/registry/samples/pass.json":  {Data: []byte(`{}`)},
		"rules/registry/testdata/data.json": {Data: []byte(`{}`)},
		".regal/config.yaml":                {Data: []byte("x")},
		"README.md":                         {Data: []byte("x")},
		"policies.go":                       {Data: []byte("package policies")},
	}
	files, err := ReadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"data.json", "lib/util.rego", "rules/registry/registry.rego"}
	if got := sortedNames(files); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("files = %v, want %v", got, want)
	}
}

func TestValidateRejects(t *testing.T) {
	for name, tc := range map[string]struct {
		files map[string]string
		want  string
	}{
		"no module":  {map[string]string{"data.json": "{}"}, "no .rego module"},
		"too big":    {map[string]string{"a.rego": strings.Repeat("x", MaxFileBytes+1)}, "at most 8192"},
		"bad name":   {map[string]string{"a b.rego": "package a"}, "cannot hold"},
		"not policy": {map[string]string{"a.rego": "package a", "notes.txt": "x"}, "neither"},
	} {
		t.Run(name, func(t *testing.T) {
			err := Validate(tc.files)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestHashIsStableAndSensitive(t *testing.T) {
	a := map[string]string{"a.rego": "package a", "data.json": "{}"}
	b := map[string]string{"data.json": "{}", "a.rego": "package a"}
	if Hash(a) != Hash(b) {
		t.Fatal("hash depends on map order")
	}
	c := map[string]string{"a.rego": "package a ", "data.json": "{}"}
	if Hash(a) == Hash(c) {
		t.Fatal("hash ignores content")
	}
	// Moving bytes between name and content must change the hash.
	d := map[string]string{"a.reg": "opackage a", "data.json": "{}"}
	if Hash(a) == Hash(d) {
		t.Fatal("hash confuses name and content")
	}
}

func TestParameterNames(t *testing.T) {
	p := ParameterName("/ecs-compliance/policy/", "rules/x/x.rego")
	if p != "/ecs-compliance/policy/rules/x/x.rego" {
		t.Fatalf("ParameterName = %q", p)
	}
	f, err := FileName("/ecs-compliance/policy", p)
	if err != nil || f != "rules/x/x.rego" {
		t.Fatalf("FileName = %q, %v", f, err)
	}
	if _, err := FileName("/ecs-compliance/policy", "/other/x.rego"); err == nil {
		t.Fatal("FileName accepted a parameter outside the path")
	}
}
