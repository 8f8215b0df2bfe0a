package builtins

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Credential detection for secret.scan, at the level of detect-secrets (the
// library behind Prowler's ECS secrets check): the token formats of its
// plugins, private key headers, JSON Web Tokens whose header and payload
// decode to JSON, and credentials in URLs. Findings carry the kind of
// credential and a redacted form, never the value.

// shape is a credential format.
type shape struct {
	kind string
	re   *regexp.Regexp
}

// shapes are the formats found anywhere in a value. Near-misses stay out:
// lower-case or embedded key IDs (word boundaries), Stripe test keys,
// GitHub prefixes without a token, public keys and certificates.
var shapes = []shape{
	{"an AWS access key ID", regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}\b`)},
	// PEM (RSA, DSA, EC, PKCS#8, encrypted), OpenSSH, SSH2 and PGP headers; PuTTY.
	{"a private key", regexp.MustCompile(`-{4,5} ?BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?(?: ?-{4,5})?|PuTTY-User-Key-File-[0-9]+:`)},
	{"a GitHub token", regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b`)},
	// Personal, deploy, feed, OAuth, runner, pipeline, agent, incoming mail
	// and CI build tokens; runner registration tokens.
	{"a GitLab token", regexp.MustCompile(`\b(?:gl(?:pat|dt|ft|soat|rt|ptt|agent|oas|imt|cbt)-|GR1348941)[A-Za-z0-9_-]{20,}`)},
	{"a Slack token", regexp.MustCompile(`\bxox[abposr]-(?:[0-9]+-)+[A-Za-z0-9]+`)},
	{"a Slack webhook URL", regexp.MustCompile(`https://hooks\.slack\.com/(?:services|workflows|triggers)(?:/[A-Za-z0-9_]+){3}`)},
	{"a Stripe live key", regexp.MustCompile(`\b[rs]k_live_[0-9A-Za-z]{24,}`)},
	{"an npm token", regexp.MustCompile(`\bnpm_[A-Za-z0-9]{36}\b`)},
	{"a PyPI token", regexp.MustCompile(`\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}`)},
	{"a SendGrid API key", regexp.MustCompile(`\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}`)},
	{"an OpenAI API key", regexp.MustCompile(`\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]*T3BlbkFJ[A-Za-z0-9_-]+`)},
	{"a Google API key", regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}`)},
	{"an Azure storage account key", regexp.MustCompile(`AccountKey=[A-Za-z0-9+/]{86}==`)},
	{"a Mailchimp API key", regexp.MustCompile(`\b[0-9a-f]{32}-us[0-9]{1,2}\b`)},
	{"a Square OAuth secret", regexp.MustCompile(`\bsq0csp-[0-9A-Za-z_-]{43}`)},
	{"a Telegram bot token", regexp.MustCompile(`\b[0-9]{8,10}:AA[0-9A-Za-z_-]{33}\b`)},
	{"a Discord bot token", regexp.MustCompile(`\b[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}\b`)},
}

// minShape is the length of the shortest shape (an AWS access key ID).
const minShape = 20

var (
	// anyShape rules most values out in one pass.
	anyShape = func() *regexp.Regexp {
		parts := make([]string, 0, len(shapes))
		for _, s := range shapes {
			parts = append(parts, "(?:"+s.re.String()+")")
		}
		return regexp.MustCompile(strings.Join(parts, "|"))
	}()
	jwt = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)
	// urlCredentials captures a URL's user and password.
	urlCredentials = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*)://([^:@/\s]+):([^@/\s]+)@([^\s/@?#]+)`)
	maskOrTemplate = regexp.MustCompile(`^(?:\*+|x+|X+|\.+|-+|#+)$|[{}$<>%]`)
)

// placeholders are passwords that documentation uses in example URLs.
var placeholders = map[string]bool{
	"password": true, "pass": true, "passwd": true, "pwd": true, "secret": true, "changeme": true,
	"change_me": true, "replace_me": true, "redacted": true, "placeholder": true, "example": true, "dummy": true,
}

// Credential is one credential found in a value: its kind ("a GitHub
// token") and a redacted form that a message may show.
type Credential struct {
	Kind     string `json:"kind"`
	Redacted string `json:"redacted"`
}

// ScanSecrets finds the credentials in a value, at most one per kind, ordered
// by kind.
func ScanSecrets(value string) []Credential {
	var out []Credential
	// Every shape is 20 characters or more.
	if len(value) >= minShape && anyShape.MatchString(value) {
		for _, s := range shapes {
			if found := s.re.FindString(value); found != "" {
				out = append(out, Credential{Kind: s.kind, Redacted: redact(s.kind, found)})
			}
		}
	}
	if strings.Contains(value, "eyJ") {
		for _, token := range jwt.FindAllString(value, -1) {
			parts := strings.Split(token, ".")
			if decodesToJSON(parts[0]) && decodesToJSON(parts[1]) {
				out = append(out, Credential{Kind: "a JSON Web Token", Redacted: redact("", token)})
				break
			}
		}
	}
	if strings.Contains(value, "@") {
		for _, m := range urlCredentials.FindAllStringSubmatch(value, -1) {
			password := m[3]
			if maskOrTemplate.MatchString(password) || placeholders[strings.ToLower(password)] {
				continue
			}
			out = append(out, Credential{Kind: "credentials in a URL", Redacted: m[1] + "://<credentials>@" + m[4]})
			break
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

func decodesToJSON(segment string) bool {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(segment, "="))
	return err == nil && json.Valid(b)
}

// redact shows a private key's header (no key material) and otherwise the
// first four characters, which for a typed token is its type prefix (AKIA,
// ghp_, xoxb, sk_l), and the length.
func redact(kind, found string) string {
	if kind == "a private key" {
		return strings.Trim(found, "-: ") + " header"
	}
	prefix := found
	if len(prefix) > 4 {
		prefix = prefix[:4]
	}
	return prefix + "... " + strconv.Itoa(len(found)) + " characters"
}
