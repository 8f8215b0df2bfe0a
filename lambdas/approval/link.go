// Package approval is the domain of approval-gated remediation: the signed
// approve/reject links a person receives, the approval record kept
// server-side (one per request, keyed by a short reference that stands for
// the Step Functions task token), what the request says (what was found and
// what will be done) and the rules a decision must pass.
//
// A link is
//
//	<callback URL>?ref=<reference>&action=approve|reject&exp=<unix seconds>&sig=<signature>
//
// where signature = base64url(HMAC-SHA256(signing key, ref|action|exp)),
// unpadded. The link carries the reference, never the task token: the token
// stays in the approvals table. The signature makes a link unforgeable and
// unalterable (swapping the action, the reference or the expiry breaks it);
// exp makes it expire with the workflow's wait; the record's status makes
// it work once.
//
// The keys are derived from one secret (Secrets Manager in AWS): the
// signing key for links, the reference key, which maps a task token to its
// reference, and the form key, which signs the confirmation form's one-time
// token (form.go). Deriving the reference from the token (rather than drawing
// it at random) makes the request step idempotent: a retried invocation for
// the same token finds the record it already wrote and sends the same links.
// Without the secret, a reference is as unpredictable as a random one.
//
// The package is a domain package: it imports no AWS SDK service package.
package approval

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Actions a link carries.
const (
	ActionApprove = "approve"
	ActionReject  = "reject"
)

// Link query parameters (and the confirmation form's hidden fields).
const (
	ParamRef    = "ref"
	ParamAction = "action"
	ParamExp    = "exp"
	ParamSig    = "sig"
)

// MinSecretBytes is the shortest signing secret accepted: HMAC-SHA256's
// block-size guidance wants a key of at least the hash's 32 bytes.
const MinSecretBytes = 32

// referenceBytes is how much of the keyed hash of the token makes the
// reference: 15 bytes (120 bits), 20 base64url characters.
const referenceBytes = 15

// maxExp bounds exp to sane Unix times (year 5138) so that parsing cannot
// overflow a time computation.
const maxExp = 99_999_999_999

var (
	referencePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{20}$`)
	expPattern       = regexp.MustCompile(`^[1-9][0-9]{0,10}$`)
)

// Problems a link can have. Verify wraps one of them; the callback maps each
// to its HTTP status.
var (
	// ErrMalformed: a parameter is missing or not in its format (400).
	ErrMalformed = errors.New("malformed approval link")
	// ErrForged: the signature does not match the parameters (403): the link
	// was altered or not issued with this deployment's secret.
	ErrForged = errors.New("approval link signature does not match")
	// ErrExpired: the link's expiry has passed (410).
	ErrExpired = errors.New("approval link has expired")
)

// Key signs and verifies links and form tokens and derives references.
// Build it with NewKey.
type Key struct {
	sign []byte
	ref  []byte
	form []byte
}

// NewKey derives the signing and reference keys from the secret. A secret
// under MinSecretBytes is refused.
func NewKey(secret []byte) (Key, error) {
	if len(secret) < MinSecretBytes {
		return Key{}, fmt.Errorf("approval signing secret has %d bytes; at least %d are needed", len(secret), MinSecretBytes)
	}
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("ecs-compliance approval " + label))
		return m.Sum(nil)
	}
	return Key{sign: derive("link signing key"), ref: derive("reference key"), form: derive("form token key")}, nil
}

// Reference is the short reference that stands for a task token in links
// and in the approvals table: 20 base64url characters.
func (k Key) Reference(taskToken string) string {
	m := hmac.New(sha256.New, k.ref)
	m.Write([]byte(taskToken))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:referenceBytes])
}

// Sign is the signature of a link: base64url(HMAC-SHA256(ref|action|exp)).
func (k Key) Sign(ref, action string, exp int64) string {
	return base64.RawURLEncoding.EncodeToString(k.mac(ref, action, strconv.FormatInt(exp, 10)))
}

func (k Key) mac(ref, action, exp string) []byte {
	m := hmac.New(sha256.New, k.sign)
	m.Write([]byte(ref + "|" + action + "|" + exp))
	return m.Sum(nil)
}

// Link is the signed link for ref and action, expiring at exp, on base (the
// callback's URL: absolute, http or https, without a query).
func (k Key) Link(base, ref, action string, exp time.Time) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("callback URL %q: want an absolute http(s) URL without a query", base)
	}
	if !referencePattern.MatchString(ref) || !validAction(action) {
		return "", fmt.Errorf("%w: reference %q, action %q", ErrMalformed, ref, action)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	e := exp.Unix()
	p := Params{Ref: ref, Action: action, Exp: strconv.FormatInt(e, 10), Sig: k.Sign(ref, action, e)}
	return u.String() + "?" + p.Query(), nil
}

// Params are a link's parameters as they arrived (query or form).
type Params struct {
	Ref, Action, Exp, Sig string
}

// ParamsFrom reads the link parameters from v.
func ParamsFrom(v url.Values) Params {
	return Params{Ref: v.Get(ParamRef), Action: v.Get(ParamAction), Exp: v.Get(ParamExp), Sig: v.Get(ParamSig)}
}

// Query is p as a link's query string, in the order that reads as a
// sentence and matches the signed string (url.Values.Encode would sort it).
func (p Params) Query() string {
	return ParamRef + "=" + url.QueryEscape(p.Ref) + "&" + ParamAction + "=" + url.QueryEscape(p.Action) +
		"&" + ParamExp + "=" + url.QueryEscape(p.Exp) + "&" + ParamSig + "=" + url.QueryEscape(p.Sig)
}

// Values are p as form values (the confirmation form's hidden fields).
func (p Params) Values() url.Values {
	return url.Values{ParamRef: {p.Ref}, ParamAction: {p.Action}, ParamExp: {p.Exp}, ParamSig: {p.Sig}}
}

// Link is a verified link.
type Link struct {
	Ref     string
	Action  string
	Expires time.Time
}

// Verify checks p: the format (ErrMalformed), then the signature in constant
// time (ErrForged), then the expiry against now (ErrExpired). The signature
// is checked before the expiry so that an expired link tells nothing about
// whether it was genuine.
func (k Key) Verify(p Params, now time.Time) (Link, error) {
	var bad []string
	if !referencePattern.MatchString(p.Ref) {
		bad = append(bad, ParamRef)
	}
	if !validAction(p.Action) {
		bad = append(bad, ParamAction)
	}
	exp, err := strconv.ParseInt(p.Exp, 10, 64)
	if !expPattern.MatchString(p.Exp) || err != nil || exp > maxExp {
		bad = append(bad, ParamExp)
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(p.Sig)
	if err != nil || len(sig) != sha256.Size {
		bad = append(bad, ParamSig)
	}
	if len(bad) > 0 {
		return Link{}, fmt.Errorf("%w: %s missing or not in its format", ErrMalformed, strings.Join(bad, ", "))
	}
	if !hmac.Equal(sig, k.mac(p.Ref, p.Action, p.Exp)) {
		return Link{}, ErrForged
	}
	l := Link{Ref: p.Ref, Action: p.Action, Expires: time.Unix(exp, 0).UTC()}
	if !now.Before(l.Expires) {
		return l, fmt.Errorf("%w: it expired at %s", ErrExpired, l.Expires.Format(time.RFC3339))
	}
	return l, nil
}

func validAction(a string) bool { return a == ActionApprove || a == ActionReject }

// ValidReference reports whether ref has a reference's format.
func ValidReference(ref string) bool { return referencePattern.MatchString(ref) }
