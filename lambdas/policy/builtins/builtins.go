// Package builtins holds the custom OPA built-in functions the policy library
// uses: image.parse (image references), image.registry (configured
// registries), secret.scan (credentials in a value) and secret.entropy
// (Shannon entropy of a string). The evaluate step adds them to each query
// it prepares (Options); the project's OPA command (policies/cmd/opa)
// registers them globally (Register) so that `opa test`, `opa check` and
// `opa fmt` know them too; Regal learns their declaration from
// policies/.regal/config.yaml.
package builtins

import (
	"errors"
	"strings"
	"sync"

	"github.com/distribution/reference"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/policy/builtins/registry"
)

// The custom built-ins' declarations: one string argument each, memoized
// within a query.

// ImageParse declares image.parse(ref): the parts of a container image
// reference, normalized as Docker does ("nginx" is
// docker.io/library/nginx). It never fails: a reference that does not parse
// comes back with valid false and the parser's error, so that a policy can
// report it.
var ImageParse = stringFunction("image.parse",
	"Parses a container image reference with github.com/distribution/reference "+
		"(ParseNormalizedNamed) and returns {valid, error, registry, registry_id, repository, name, tag, digest, normalized}.",
	types.Named("ref", types.S).Description("image reference, e.g. nginx:1.25 or 123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:..."),
	types.Named("image", types.NewObject([]*types.StaticProperty{
		types.NewStaticProperty("valid", types.B),
		types.NewStaticProperty("error", types.S),
		types.NewStaticProperty("registry", types.S),
		types.NewStaticProperty("registry_id", types.S),
		types.NewStaticProperty("repository", types.S),
		types.NewStaticProperty("name", types.S),
		types.NewStaticProperty("tag", types.S),
		types.NewStaticProperty("digest", types.S),
		types.NewStaticProperty("normalized", types.S),
	}, nil)).Description("the parsed reference; registry is the host (and port) exactly, never a prefix; "+
		"registry_id the registry's identity (every endpoint of one Amazon ECR registry has the same)"),
)

// ImageRegistry declares image.registry(entry): a configured registry,
// "host[:port][/repository/path]", with the identity of its host (the same
// as image.parse's registry_id for an image from that registry). It never
// fails: an entry that is not a registry comes back with valid false and
// the reason.
var ImageRegistry = stringFunction("image.registry",
	"Parses a configured registry (host[:port][/path]) and returns {valid, error, host, path, registry_id}; "+
		"registry_id identifies the registry whatever endpoint spells it (Amazon ECR FIPS, dual-stack, China; Docker Hub aliases).",
	types.Named("entry", types.S).Description("configured registry, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com or ghcr.io/acme"),
	types.Named("registry", types.NewObject([]*types.StaticProperty{
		types.NewStaticProperty("valid", types.B),
		types.NewStaticProperty("error", types.S),
		types.NewStaticProperty("host", types.S),
		types.NewStaticProperty("path", types.S),
		types.NewStaticProperty("registry_id", types.S),
	}, nil)).Description("the parsed entry"),
)

// SecretScan declares secret.scan(value): the credentials of known formats
// in a value (AWS access key IDs, GitHub, GitLab, Slack, Stripe, npm, PyPI,
// SendGrid, OpenAI, Google, Azure, Mailchimp, Square, Telegram and Discord
// tokens, Slack webhooks, JSON Web Tokens, credentials in URLs, private
// keys), at most one per kind, each with a redacted form: never the value.
var SecretScan = stringFunction("secret.scan",
	"Finds credentials of known formats in a value (detect-secrets' plugins) and returns "+
		"[{kind, redacted}], at most one per kind, ordered by kind; redacted never holds the secret.",
	types.Named("value", types.S).Description("the value to scan"),
	types.Named("credentials", types.NewArray(nil, types.NewObject([]*types.StaticProperty{
		types.NewStaticProperty("kind", types.S),
		types.NewStaticProperty("redacted", types.S),
	}, nil))).Description("the credentials found"),
)

// SecretEntropy declares secret.entropy(s): the Shannon entropy of s, in
// bits per character (0 for ""), as detect-secrets computes it for its
// high-entropy string detectors.
var SecretEntropy = stringFunction("secret.entropy",
	"Shannon entropy of a string in bits per character (detect-secrets' measure for high-entropy strings).",
	types.Named("s", types.S).Description("the string"),
	types.Named("bits", types.N).Description("entropy in bits per character"),
)

// stringFunction declares a memoized built-in of one string argument.
func stringFunction(name, description string, arg, result types.Type) *rego.Function {
	return &rego.Function{Name: name, Description: description, Decl: types.NewFunction(types.Args(arg), result), Memoize: true}
}

var errNoRegistry = errors.New("the image reference names no registry")

// Image is what image.parse returns.
type Image struct {
	Valid      bool   `json:"valid"`
	Error      string `json:"error"`
	Registry   string `json:"registry"`
	RegistryID string `json:"registry_id"`
	Repository string `json:"repository"`
	// Name is the reference as written without its tag and digest: what a
	// suggested fix appends a tag or digest to, keeping the host.
	Name       string `json:"name"`
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
		return Image{Error: explain(ref, err)}
	}
	if reference.Domain(named) == "" {
		// The first component looked like a host to Docker's split but is
		// not one ("registry_internal.io/web"): the parser then keeps it
		// in the path and the reference names no registry at all.
		return Image{Error: explain(ref, errNoRegistry)}
	}
	name, _, _ := strings.Cut(ref, "@")
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name = name[:i]
	}
	img := Image{
		Valid:      true,
		Registry:   reference.Domain(named),
		RegistryID: registry.ID(reference.Domain(named)),
		Repository: reference.Path(named),
		Name:       name,
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
		ast.Item(ast.StringTerm("registry_id"), ast.StringTerm(img.RegistryID)),
		ast.Item(ast.StringTerm("repository"), ast.StringTerm(img.Repository)),
		ast.Item(ast.StringTerm("name"), ast.StringTerm(img.Name)),
		ast.Item(ast.StringTerm("tag"), ast.StringTerm(img.Tag)),
		ast.Item(ast.StringTerm("digest"), ast.StringTerm(img.Digest)),
		ast.Item(ast.StringTerm("normalized"), ast.StringTerm(img.Normalized)),
	)
}

// imageRegistry is image.registry's result for an entry.
func imageRegistry(entry string) *ast.Term {
	r := registry.ParseEntry(entry)
	return ast.ObjectTerm(
		ast.Item(ast.StringTerm("valid"), ast.BooleanTerm(r.Valid)),
		ast.Item(ast.StringTerm("error"), ast.StringTerm(r.Error)),
		ast.Item(ast.StringTerm("host"), ast.StringTerm(r.Host)),
		ast.Item(ast.StringTerm("path"), ast.StringTerm(r.Path)),
		ast.Item(ast.StringTerm("registry_id"), ast.StringTerm(r.RegistryID)),
	)
}

// secretScan is secret.scan's result for a value.
func secretScan(value string) *ast.Term {
	found := ScanSecrets(value)
	terms := make([]*ast.Term, 0, len(found))
	for _, c := range found {
		terms = append(terms, ast.ObjectTerm(
			ast.Item(ast.StringTerm("kind"), ast.StringTerm(c.Kind)),
			ast.Item(ast.StringTerm("redacted"), ast.StringTerm(c.Redacted)),
		))
	}
	return ast.ArrayTerm(terms...)
}

// all is every custom built-in: its declaration and its implementation.
var all = []struct {
	decl *rego.Function
	impl rego.Builtin1
}{
	{ImageParse, onString(ImageParse, func(ref string) *ast.Term { return ParseImage(ref).term() })},
	{ImageRegistry, onString(ImageRegistry, imageRegistry)},
	{SecretScan, onString(SecretScan, secretScan)},
	{SecretEntropy, onString(SecretEntropy, func(s string) *ast.Term { return ast.FloatNumberTerm(Entropy(s)) })},
}

// onString is the implementation of the built-in fn from f, a function of
// its string argument. Any other argument is an error (the call is then
// undefined in the policy, or an evaluation error under strict built-in
// errors).
func onString(fn *rego.Function, f func(string) *ast.Term) rego.Builtin1 {
	return func(_ rego.BuiltinContext, arg *ast.Term) (*ast.Term, error) {
		s, ok := arg.Value.(ast.String)
		if !ok {
			return nil, &typeError{fn: fn.Name, got: ast.ValueName(arg.Value)}
		}
		return f(string(s)), nil
	}
}

type typeError struct{ fn, got string }

func (e *typeError) Error() string {
	return e.fn + ": operand 1 must be string but got " + e.got
}

// Functions returns the declarations of the custom built-ins, in a stable
// order (Regal's configuration must declare each of them).
func Functions() []*rego.Function {
	out := make([]*rego.Function, 0, len(all))
	for _, b := range all {
		out = append(out, b.decl)
	}
	return out
}

// Options returns the rego options that add the custom built-ins to one query.
func Options() []func(*rego.Rego) {
	out := make([]func(*rego.Rego), 0, len(all))
	for _, b := range all {
		out = append(out, rego.Function1(b.decl, b.impl))
	}
	return out
}

// Declarations returns the built-ins' declarations for an ast.Compiler.
func Declarations() map[string]*ast.Builtin {
	out := make(map[string]*ast.Builtin, len(all))
	for _, b := range all {
		out[b.decl.Name] = &ast.Builtin{Name: b.decl.Name, Description: b.decl.Description, Decl: b.decl.Decl}
	}
	return out
}

var registerOnce sync.Once

// Register adds the custom built-ins to OPA's global registry (for the OPA
// command line); safe to call more than once.
func Register() {
	registerOnce.Do(func() {
		for _, b := range all {
			rego.RegisterBuiltin1(b.decl, b.impl)
		}
	})
}
