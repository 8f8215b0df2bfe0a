// Package golden compares what a test produced with a file it keeps (a
// golden file, under the package's testdata/) and, when the tests run with
// -update, writes the file instead: review the diff, then commit it. Every
// package with golden files uses it, so that they share one -update flag
// and one way of showing a difference.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ (review the diff before committing)")

// Update tells whether the tests run with -update.
func Update() bool { return *update }

// Check compares got with the file at path; with -update it writes got
// there (making its folder). A difference is reported with the first line
// that differs and the whole output.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	line, g, w := firstDifference(got, want)
	t.Errorf("%s differs at line %d (go test -update rewrites it; review the diff):\n got: %s\nwant: %s\n\nthe output:\n%s",
		path, line, g, w, got)
}

// firstDifference is the first line (from 1) where got and want differ, and
// that line of each ("" past the end).
func firstDifference(got, want []byte) (line int, g, w string) {
	gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := range max(len(gl), len(wl)) {
		var a, b []byte
		if i < len(gl) {
			a = gl[i]
		}
		if i < len(wl) {
			b = wl[i]
		}
		if !bytes.Equal(a, b) || i >= len(gl) || i >= len(wl) {
			return i + 1, string(a), string(b)
		}
	}
	return 0, "", ""
}
