// Package builtins holds the custom OPA built-in functions the policy library
// uses. The evaluate step adds them to each query it prepares (Options); the
// project's OPA command (policies/cmd/opa) registers them globally (Register)
// so that `opa test`, `opa check` and `opa fmt` know them too; Regal learns
// their declaration from policies/.regal/config.yaml.
package builtins

import (
	"sync"

	"github.com/distribution/reference"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"
)

// ImageParseName is the name policies call: image.parse(ref).
const ImageParseName = "image.parse"

// ImageParse declares image.parse(ref): the parts of a container image
// reference, normalized as Docker does ("nginx" is
// docker.io/library/nginx). It never fails: a reference that does not parse
// comes back with valid false and the parser's error, so that a policy can
// report it.
var ImageParse = &rego.Function{
	Name: ImageParseName,
	Description: "Parses a container image reference with github.com/distribution/reference " +
		"(ParseNormalizedNamed) and returns {valid, error, registry, repository, tag, digest, normalized}.",
	Decl: types.NewFunction(
		types.Args(types.Named("ref", types.S).Description("image reference, e.g. nginx:1.25 or 123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:...")),
		types.Named("image", types.NewObject([]*types.StaticProperty{
			types.NewStaticProperty("valid", types.B),
			types.NewStaticProperty("error", types.S),
			types.NewStaticProperty("registry", types.S),
			types.NewStaticProperty("repository", types.S),
			types.NewStaticProperty("tag", types.S),
			types.NewStaticProperty("digest", types.S),
			types.NewStaticProperty("normalized", types.S),
		}, nil)).Description("the parsed reference; registry is the host (and port) exactly, never a prefix"),
	),
	Memoize: true,
}

// Image is what image.parse returns.
type Image struct {
	Valid      bool   `json:"valid"`
	Error      string `json:"error"`
	Registry   string `json:"registry"`
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	Digest     string `json:"digest"`
	Normalized string `json:"normalized"`
}

// ParseImage parses ref the way image.parse does. Results are cached
// process-wide (the same images recur from task to task, and parsing runs
// several regular expressions).
func ParseImage(ref string) Image {
	if img, ok := cache.get(ref); ok {
		return img
	}
	img := parseImage(ref)
	cache.put(ref, img)
	return img
}

func parseImage(ref string) Image {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return Image{Error: err.Error()}
	}
	img := Image{
		Valid:      true,
		Registry:   reference.Domain(named),
		Repository: reference.Path(named),
		Normalized: named.String(),
	}
	if t, ok := named.(reference.Tagged); ok {
		img.Tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		img.Digest = d.Digest().String()
	}
	return img
}

// imageCache is a bounded, concurrency-safe cache of parsed references:
// when full it starts over, which keeps it simple and its size bounded.
type imageCache struct {
	mu sync.Mutex
	m  map[string]Image
}

const imageCacheSize = 4096

var cache = &imageCache{m: map[string]Image{}}

func (c *imageCache) get(ref string) (Image, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	img, ok := c.m[ref]
	return img, ok
}

func (c *imageCache) put(ref string, img Image) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= imageCacheSize {
		c.m = make(map[string]Image, imageCacheSize)
	}
	c.m[ref] = img
}

func (img Image) term() *ast.Term {
	return ast.ObjectTerm(
		ast.Item(ast.StringTerm("valid"), ast.BooleanTerm(img.Valid)),
		ast.Item(ast.StringTerm("error"), ast.StringTerm(img.Error)),
		ast.Item(ast.StringTerm("registry"), ast.StringTerm(img.Registry)),
		ast.Item(ast.StringTerm("repository"), ast.StringTerm(img.Repository)),
		ast.Item(ast.StringTerm("tag"), ast.StringTerm(img.Tag)),
		ast.Item(ast.StringTerm("digest"), ast.StringTerm(img.Digest)),
		ast.Item(ast.StringTerm("normalized"), ast.StringTerm(img.Normalized)),
	)
}

// imageParse is the built-in's implementation. A non-string argument is an
// error (the call is then undefined in the policy, or an evaluation error
// under strict built-in errors).
func imageParse(_ rego.BuiltinContext, ref *ast.Term) (*ast.Term, error) {
	s, ok := ref.Value.(ast.String)
	if !ok {
		return nil, &typeError{got: ast.ValueName(ref.Value)}
	}
	return ParseImage(string(s)).term(), nil
}

type typeError struct{ got string }

func (e *typeError) Error() string {
	return ImageParseName + ": operand 1 must be string but got " + e.got
}

// Options returns the rego options that add the custom built-ins to one query.
func Options() []func(*rego.Rego) {
	return []func(*rego.Rego){rego.Function1(ImageParse, imageParse)}
}

// Declarations returns the built-ins' declarations for an ast.Compiler.
func Declarations() map[string]*ast.Builtin {
	return map[string]*ast.Builtin{
		ImageParse.Name: {Name: ImageParse.Name, Description: ImageParse.Description, Decl: ImageParse.Decl},
	}
}

var registerOnce sync.Once

// Register adds the custom built-ins to OPA's global registry (for the OPA
// command line); safe to call more than once.
func Register() {
	registerOnce.Do(func() {
		rego.RegisterBuiltin1(ImageParse, imageParse)
	})
}
