package approval_test

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval"
)

var (
	secret = []byte("a-signing-secret-of-at-least-32-bytes!!")
	t0     = time.Date(2026, 11, 27, 9, 5, 0, 0, time.UTC)
	exp    = t0.Add(24 * time.Hour)
)

func mustKey(t testing.TB, s []byte) approval.Key {
	t.Helper()
	k, err := approval.NewKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// params are the parameters of a link the key issued.
func params(t testing.TB, k approval.Key, action string) approval.Params {
	t.Helper()
	l, err := k.Link("https://abc.lambda-url.us-east-1.on.aws/", k.Reference("token-1"), action, exp)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(l)
	if err != nil {
		t.Fatal(err)
	}
	return approval.ParamsFrom(u.Query())
}

func TestVerify(t *testing.T) {
	k := mustKey(t, secret)
	other := mustKey(t, []byte("another-secret-of-at-least-32-bytes!!!!!"))
	good := params(t, k, approval.ActionApprove)
	reject := params(t, k, approval.ActionReject)
	change := func(f func(p *approval.Params)) approval.Params {
		p := good
		f(&p)
		return p
	}
	tests := []struct {
		name string
		p    approval.Params
		now  time.Time
		want error
	}{
		{"a link as issued verifies", good, t0, nil},
		{"a reject link as issued verifies", reject, t0, nil},
		{"a link verifies until the second before its expiry", good, exp.Add(-time.Second), nil},
		{"a link is expired at its expiry", good, exp, approval.ErrExpired},
		{"an expired link is expired", good, exp.Add(time.Hour), approval.ErrExpired},
		{"a signature made with another secret is forged", approval.Params{Ref: good.Ref, Action: good.Action, Exp: good.Exp,
			Sig: other.Sign(good.Ref, good.Action, exp.Unix())}, t0, approval.ErrForged},
		{"a random signature is forged", change(func(p *approval.Params) { p.Sig = strings.Repeat("A", 43) }), t0, approval.ErrForged},
		{"swapping the action to reject is forged", change(func(p *approval.Params) { p.Action = approval.ActionReject }), t0, approval.ErrForged},
		{"the reject link's signature on approve is forged", change(func(p *approval.Params) { p.Sig = reject.Sig }), t0, approval.ErrForged},
		{"another reference is forged", change(func(p *approval.Params) { p.Ref = k.Reference("token-2") }), t0, approval.ErrForged},
		{"a later expiry is forged", change(func(p *approval.Params) { p.Exp = strconv.FormatInt(exp.Unix()+3600, 10) }), t0, approval.ErrForged},
		{"an altered expiry of an expired link is forged, not expired", change(func(p *approval.Params) { p.Exp = strconv.FormatInt(exp.Unix()+3600, 10) }), exp.Add(time.Minute), approval.ErrForged},
		{"no signature is malformed", change(func(p *approval.Params) { p.Sig = "" }), t0, approval.ErrMalformed},
		{"a truncated signature is malformed", change(func(p *approval.Params) { p.Sig = p.Sig[:40] }), t0, approval.ErrMalformed},
		{"a padded signature is malformed", change(func(p *approval.Params) { p.Sig += "=" }), t0, approval.ErrMalformed},
		{"a standard-base64 signature is malformed", change(func(p *approval.Params) { p.Sig = strings.Repeat("+", 43) }), t0, approval.ErrMalformed},
		{"no reference is malformed", change(func(p *approval.Params) { p.Ref = "" }), t0, approval.ErrMalformed},
		{"a reference of the wrong length is malformed", change(func(p *approval.Params) { p.Ref += "x" }), t0, approval.ErrMalformed},
		{"a task token as reference is malformed", change(func(p *approval.Params) { p.Ref = "AQCEAAAAKgAAAAMAAAAAAAAAAQ==" }), t0, approval.ErrMalformed},
		{"an unknown action is malformed", change(func(p *approval.Params) { p.Action = "approve-all" }), t0, approval.ErrMalformed},
		{"an upper-case action is malformed", change(func(p *approval.Params) { p.Action = "APPROVE" }), t0, approval.ErrMalformed},
		{"an expiry that is not a number is malformed", change(func(p *approval.Params) { p.Exp = "tomorrow" }), t0, approval.ErrMalformed},
		{"an expiry with a leading zero is malformed", change(func(p *approval.Params) { p.Exp = "0" + p.Exp }), t0, approval.ErrMalformed},
		{"a negative expiry is malformed", change(func(p *approval.Params) { p.Exp = "-1" }), t0, approval.ErrMalformed},
		{"an expiry past year 5000 is malformed", change(func(p *approval.Params) { p.Exp = "999999999999" }), t0, approval.ErrMalformed},
		{"an empty link is malformed", approval.Params{}, t0, approval.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := k.Verify(tt.p, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if err == nil && (l.Ref != tt.p.Ref || l.Action != tt.p.Action || !l.Expires.Equal(exp)) {
				t.Errorf("link = %+v", l)
			}
		})
	}
}

func TestMalformedNamesTheBadParts(t *testing.T) {
	_, err := mustKey(t, secret).Verify(approval.Params{Ref: "short", Action: approval.ActionApprove, Exp: "x"}, t0)
	if err == nil || !strings.Contains(err.Error(), "ref, exp, sig") {
		t.Fatalf("err = %v, want it to name ref, exp, sig", err)
	}
}

func TestLink(t *testing.T) {
	k := mustKey(t, secret)
	ref := k.Reference("token-1")
	tests := []struct {
		name, base, ref, action string
		want                    string // prefix; "" means an error
	}{
		{"a function URL", "https://abc.lambda-url.us-east-1.on.aws/", ref, approval.ActionApprove,
			"https://abc.lambda-url.us-east-1.on.aws/?ref=" + ref + "&action=approve&exp=" + strconv.FormatInt(exp.Unix(), 10) + "&sig="},
		{"a base without a path gets /", "https://abc.example", ref, approval.ActionReject, "https://abc.example/?ref=" + ref + "&action=reject&"},
		{"a path is kept", "https://api.example/prod/approve", ref, approval.ActionApprove, "https://api.example/prod/approve?ref="},
		{"a relative base is refused", "/approve", ref, approval.ActionApprove, ""},
		{"a base with a query is refused", "https://abc.example/?x=1", ref, approval.ActionApprove, ""},
		{"another scheme is refused", "javascript:alert(1)", ref, approval.ActionApprove, ""},
		{"a bad reference is refused", "https://abc.example/", "x", approval.ActionApprove, ""},
		{"a bad action is refused", "https://abc.example/", ref, "maybe", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := k.Link(tt.base, tt.ref, tt.action, exp)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("Link = %s, want an error", got)
				}
				return
			}
			if err != nil || !strings.HasPrefix(got, tt.want) {
				t.Fatalf("Link = %s, %v; want prefix %s", got, err, tt.want)
			}
			u, _ := url.Parse(got)
			if _, err := k.Verify(approval.ParamsFrom(u.Query()), t0); err != nil {
				t.Errorf("the link does not verify: %v", err)
			}
			if strings.Contains(got, "token-1") {
				t.Error("the link carries the task token")
			}
		})
	}
}

func TestReference(t *testing.T) {
	k := mustKey(t, secret)
	a, b := k.Reference("token-1"), k.Reference("token-2")
	if !approval.ValidReference(a) || len(a) != 20 {
		t.Fatalf("reference %q is not 20 base64url characters", a)
	}
	if a == b {
		t.Error("two tokens share a reference")
	}
	if k.Reference("token-1") != a {
		t.Error("the reference of a token changes: a retried request would send new links")
	}
	if mustKey(t, []byte("another-secret-of-at-least-32-bytes!!!!!")).Reference("token-1") == a {
		t.Error("the reference does not depend on the secret: anyone with the token could compute it")
	}
}

func TestNewKeyRefusesAShortSecret(t *testing.T) {
	for _, n := range []int{0, 16, approval.MinSecretBytes - 1} {
		if _, err := approval.NewKey(make([]byte, n)); err == nil {
			t.Errorf("a %d-byte secret was accepted", n)
		}
	}
	if _, err := approval.NewKey(make([]byte, approval.MinSecretBytes)); err != nil {
		t.Errorf("a %d-byte secret: %v", approval.MinSecretBytes, err)
	}
}

func TestParamsValuesRoundTrip(t *testing.T) {
	p := params(t, mustKey(t, secret), approval.ActionReject)
	if got := approval.ParamsFrom(p.Values()); got != p {
		t.Errorf("round trip = %+v, want %+v", got, p)
	}
}

func BenchmarkSign(b *testing.B) {
	k := mustKey(b, secret)
	ref := k.Reference("token")
	for b.Loop() {
		k.Sign(ref, approval.ActionApprove, exp.Unix())
	}
}

func BenchmarkVerify(b *testing.B) {
	k := mustKey(b, secret)
	p := params(b, k, approval.ActionApprove)
	for b.Loop() {
		if _, err := k.Verify(p, t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewKey(b *testing.B) {
	for b.Loop() {
		if _, err := approval.NewKey(secret); err != nil {
			b.Fatal(err)
		}
	}
}
