package builtins

import (
	"fmt"
	"testing"
)

func TestImageCacheStaysBounded(t *testing.T) {
	for i := range imageCacheSize + 10 {
		ParseImage(fmt.Sprintf("registry.internal/app-%d:1", i))
	}
	cache.mu.Lock()
	n := len(cache.m)
	cache.mu.Unlock()
	if n > imageCacheSize {
		t.Fatalf("cache holds %d entries, more than %d", n, imageCacheSize)
	}
	// A cached answer is the parser's answer.
	if got, want := ParseImage("registry.internal/app-1:1"), parseImage("registry.internal/app-1:1"); got != want {
		t.Fatalf("cached %+v, parsed %+v", got, want)
	}
}
