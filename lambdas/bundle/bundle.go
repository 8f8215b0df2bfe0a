// Package bundle turns the policy folder into the files that are deployed to
// Parameter Store (one parameter per file, under one path) and back, and
// computes the bundle's content hash. The CDK stack, the load-policy step and
// the local executor all use it, so that the same files give the same hash
// wherever they are read.
package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// DefaultPath is the Parameter Store path the bundle is deployed under.
const DefaultPath = "/ecs-compliance/policy"

// MaxFileBytes is the largest file a parameter can hold (Advanced tier, 8 KB).
const MaxFileBytes = 8192

// StandardTierBytes is the largest value of a Standard-tier parameter.
const StandardTierBytes = 4096

// ReadFS returns the bundle files of a policy folder: every .rego module
// except tests (*_test.rego) and every data.json, keyed by their slash path
// relative to the folder. Folders named testdata or samples, and dot-folders,
// are skipped: they hold tests' inputs, not policy.
func ReadFS(fsys fs.FS) (map[string]string, error) {
	files := map[string]string{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "samples" || name == "node_modules") {
				return fs.SkipDir
			}
			return nil
		}
		if !isBundleFile(p) {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		files[p] = string(b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read policy bundle: %w", err)
	}
	if err := Validate(files); err != nil {
		return nil, err
	}
	return files, nil
}

func isBundleFile(p string) bool {
	base := path.Base(p)
	switch {
	case strings.HasSuffix(base, "_test.rego"):
		return false
	case strings.HasSuffix(base, ".rego"):
		return true
	default:
		return base == "data.json"
	}
}

// Validate checks that a bundle is deployable: not empty, at least one
// module, every file within a parameter's size, every name a valid
// parameter name.
func Validate(files map[string]string) error {
	modules := 0
	for _, name := range sortedNames(files) {
		if !isBundleFile(name) {
			return fmt.Errorf("policy bundle: %q is neither a .rego module nor a data.json", name)
		}
		if strings.HasSuffix(name, ".rego") {
			modules++
		}
		if n := len(files[name]); n > MaxFileBytes {
			return fmt.Errorf("policy bundle: %s is %d bytes; a parameter holds at most %d (split the module)", name, n, MaxFileBytes)
		}
		for _, r := range name {
			if !(r == '/' || r == '.' || r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				return fmt.Errorf("policy bundle: %q has %q, which a parameter name cannot hold", name, r)
			}
		}
	}
	if modules == 0 {
		return fmt.Errorf("policy bundle: no .rego module")
	}
	return nil
}

// Hash is the SHA-256 (hex) of the files: names and contents, in name order.
func Hash(files map[string]string) string {
	h := sha256.New()
	for _, name := range sortedNames(files) {
		fmt.Fprintf(h, "%d:%s\n%d:", len(name), name, len(files[name]))
		h.Write([]byte(files[name]))
		h.Write([]byte("\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ParameterName is the parameter that holds file under the path.
func ParameterName(basePath, file string) string {
	return strings.TrimSuffix(basePath, "/") + "/" + file
}

// FileName is the bundle file a parameter holds, or an error when the
// parameter is not under the path.
func FileName(basePath, parameter string) (string, error) {
	prefix := strings.TrimSuffix(basePath, "/") + "/"
	if !strings.HasPrefix(parameter, prefix) || len(parameter) == len(prefix) {
		return "", fmt.Errorf("parameter %q is not under %q", parameter, basePath)
	}
	return strings.TrimPrefix(parameter, prefix), nil
}

func sortedNames(files map[string]string) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
