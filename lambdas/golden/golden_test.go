package golden

import (
	"path/filepath"
	"testing"
)

func TestFirstDifference(t *testing.T) {
	for _, tc := range []struct {
		got, want string
		line      int
		g, w      string
	}{
		{"a\nb\nc", "a\nx\nc", 2, "b", "x"},
		{"a\nb", "a\nb\nc", 3, "", "c"},
		{"a\nb\n", "a\nb", 3, "", ""},
	} {
		line, g, w := firstDifference([]byte(tc.got), []byte(tc.want))
		if line != tc.line || g != tc.g || w != tc.w {
			t.Errorf("%q vs %q: line %d %q %q, want %d %q %q", tc.got, tc.want, line, g, w, tc.line, tc.g, tc.w)
		}
	}
}

// recorder is a testing.TB that keeps its errors instead of failing.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()                   {}
func (r *recorder) Errorf(string, ...any)     { r.failed = true }
func (r *recorder) Fatalf(f string, a ...any) { r.failed = true; r.TB.Fatalf(f, a...) }

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "out.txt")
	*update = true
	Check(t, path, []byte("one\ntwo\n"))
	*update = false
	r := &recorder{TB: t}
	Check(r, path, []byte("one\ntwo\n"))
	if r.failed {
		t.Error("the same output differs")
	}
	Check(r, path, []byte("one\nthree\n"))
	if !r.failed {
		t.Error("a different output does not fail")
	}
}
