package builtins

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/distribution/reference"

	"github.com/ecs-compliance/ecs-compliance/lambdas/policy/builtins/registry"
)

var (
	anchoredTag    = regexp.MustCompile(`^` + reference.TagRegexp.String() + `$`)
	anchoredDigest = regexp.MustCompile(`^` + reference.DigestRegexp.String() + `$`)
)

// digestLengths are the hex lengths of the digest algorithms registries use.
var digestLengths = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}

// explain says which part of an image reference that did not parse is
// invalid, in words a person can act on; parserErr is the parser's own
// message, the fallback. ref is split the way Docker splits it: an optional
// "@digest", an optional ":tag" after the last "/", an optional registry
// host before the first "/" (when it has a "." or a ":", is "localhost", or
// has upper-case letters), and the repository path.
func explain(ref string, parserErr error) string {
	if ref == "" {
		return "the image reference is empty"
	}
	if strings.TrimSpace(ref) != ref || strings.ContainsAny(ref, " \t\r\n") {
		return "the image reference contains whitespace"
	}
	name, dgst, hasDigest := strings.Cut(ref, "@")
	if hasDigest {
		if msg := explainDigest(dgst); msg != "" {
			return msg
		}
	}
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		tag := name[i+1:]
		name = name[:i]
		if !anchoredTag.MatchString(tag) {
			return "the tag " + strconv.Quote(tag) +
				" is invalid (up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-')"
		}
	}
	domain, path, hasDomain := strings.Cut(name, "/")
	if !hasDomain || !(strings.ContainsAny(domain, ".:") || domain == "localhost" || strings.ToLower(domain) != domain) {
		path = name
	} else if !registry.ValidHost(domain) {
		return "the registry host " + strconv.Quote(domain) + " is invalid (a host name, IPv4 or [IPv6] address with an optional :port)"
	}
	if path == "" {
		return "the repository name is empty"
	}
	if strings.ToLower(path) != path {
		return "the repository " + strconv.Quote(path) + " must be lower case"
	}
	for _, c := range strings.Split(path, "/") {
		if !registry.ValidPathComponent(c) {
			return "the repository path component " + strconv.Quote(c) +
				" is invalid (lower-case letters and digits, separated by '.', '_', '__' or '-')"
		}
	}
	if len(path) > reference.RepositoryNameTotalLengthMax {
		return "the repository name is longer than " + strconv.Itoa(reference.RepositoryNameTotalLengthMax) + " characters"
	}
	return parserErr.Error()
}

func explainDigest(d string) string {
	algorithm, hex, _ := strings.Cut(d, ":")
	if want, known := digestLengths[algorithm]; known && !strings.ContainsFunc(hex, notHex) && len(hex) != want {
		return "the digest " + strconv.Quote(d) + " is invalid (" + algorithm + " takes " + strconv.Itoa(want) +
			" hex characters, not " + strconv.Itoa(len(hex)) + ")"
	}
	if !anchoredDigest.MatchString(d) || strings.ContainsFunc(hex, notLowerHex) {
		return "the digest " + strconv.Quote(d) + " is invalid (algorithm:hex, e.g. sha256: and 64 lower-case hex characters)"
	}
	return ""
}

func notHex(r rune) bool {
	return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F')
}

func notLowerHex(r rune) bool {
	return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f')
}
