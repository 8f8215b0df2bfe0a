package approval_test

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval"
)

const nonce = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

func link(t testing.TB, k approval.Key, action string) approval.Link {
	t.Helper()
	l, err := k.Verify(params(t, k, action), t0)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestVerifyFormToken(t *testing.T) {
	k := mustKey(t, secret)
	other := mustKey(t, []byte("another-secret-of-at-least-32-bytes!!!!!"))
	approve, reject := link(t, k, approval.ActionApprove), link(t, k, approval.ActionReject)
	served := t0
	token := func(k approval.Key, l approval.Link, at time.Time) string {
		tok, err := k.FormToken(l, nonce, at)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := token(k, approve, served)
	elsewhere := approve
	elsewhere.Ref = k.Reference("token-2")
	later := approve
	later.Expires = later.Expires.Add(time.Hour)
	tests := []struct {
		name  string
		token string
		l     approval.Link
		now   time.Time
		want  error
	}{
		{"the token of the page served for the link works", good, approve, served, nil},
		{"it works until just before FormLifetime", good, approve, served.Add(approval.FormLifetime - time.Second), nil},
		{"a clock of another instance a little behind is tolerated", good, approve, served.Add(-30 * time.Second), nil},
		{"it has expired FormLifetime after the page was served", good, approve, served.Add(approval.FormLifetime), approval.ErrTokenExpired},
		{"no token did not come from the page", "", approve, served, approval.ErrNoToken},
		{"a truncated token is no token", good[:len(good)-2], approve, served, approval.ErrNoToken},
		{"a token with a line break is no token", good + "\n", approve, served, approval.ErrNoToken},
		{"the approve page's token on the reject form is forged", good, reject, served, approval.ErrTokenForged},
		{"a token of another request is forged", good, elsewhere, served, approval.ErrTokenForged},
		{"a token of the same link with another expiry is forged", good, later, served, approval.ErrTokenForged},
		{"a token signed with another secret is forged", token(other, approve, served), approve, served, approval.ErrTokenForged},
		{"a token whose time was moved later is forged", moved(good, served.Add(time.Minute)), approve, served, approval.ErrTokenForged},
		{"a token issued in the future is forged", token(k, approve, served.Add(time.Hour)), approve, served, approval.ErrTokenForged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := k.VerifyFormToken(tt.token, tt.l, tt.now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want == nil && got != nonce {
				t.Errorf("nonce = %q, want %q", got, nonce)
			}
		})
	}
}

// moved is tok with its issue time replaced by at, the signature kept.
func moved(tok string, at time.Time) string {
	_, rest, _ := strings.Cut(tok, ".")
	return strconv.FormatInt(at.Unix(), 10) + "." + rest
}

func TestFormToken(t *testing.T) {
	k := mustKey(t, secret)
	l := link(t, k, approval.ActionApprove)
	tok, err := k.FormToken(l, nonce, t0)
	if err != nil {
		t.Fatal(err)
	}
	// URL- and HTML-safe: it goes into a hidden field and a form body as is.
	if !regexp.MustCompile(`^[0-9]+\.[A-Z2-7]{26}\.[A-Za-z0-9_-]{43}$`).MatchString(tok) {
		t.Errorf("token %q", tok)
	}
	if again, _ := k.FormToken(l, nonce, t0); again != tok {
		t.Error("the token is not a function of the link, the nonce and the time")
	}
	if _, err := k.FormToken(l, "short", t0); err == nil {
		t.Error("a bad nonce makes a token")
	}
	if _, err := k.FormToken(approval.Link{Ref: "x", Action: approval.ActionApprove}, nonce, t0); !errors.Is(err, approval.ErrMalformed) {
		t.Errorf("a bad link makes a token: %v", err)
	}
	a, b := approval.NewNonce(), approval.NewNonce()
	if a == b || len(a) != 26 {
		t.Errorf("nonces %q, %q", a, b)
	}
	if _, err := k.FormToken(l, a, t0); err != nil {
		t.Errorf("a new nonce: %v", err)
	}
}
