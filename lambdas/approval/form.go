package approval

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The confirmation form's one-time token.
//
// A link only opens the confirmation page; the decision is taken by the
// page's form, and the endpoint acts only on a POST that carries a token
// from a page it served:
//
//	token = <issued unix seconds>.<nonce>.<base64url(HMAC-SHA256(form key, "form|ref|action|exp|issued|nonce"))>
//
// The token is bound to the link's reference, action and expiry (a token of
// the approve page does not work on the reject form, nor on another
// request), expires FormLifetime after the page was served (and never later
// than the link), and is single-use: the decision's conditional write
// records its nonce and refuses one already recorded (which matters after a
// decision was undone because it could not be delivered). Serving the page
// writes nothing — mail scanners open links too — so an unused token costs
// no storage; only a decision records one.
//
// What it proves is that the POST follows a page this deployment served for
// this link, within the last hour: a person (or a browser) saw what they
// decide. It does not prove who they are (see the README: the approver's
// identity).

// FieldToken is the confirmation form's hidden field with the token.
const FieldToken = "token"

// FormLifetime is how long a served confirmation page's form works.
const FormLifetime = time.Hour

// formSkew tolerates clocks of different Lambda instances disagreeing.
const formSkew = time.Minute

var (
	tokenPattern = regexp.MustCompile(`^[1-9][0-9]{0,10}\.[A-Z2-7]{26}\.[A-Za-z0-9_-]{43}$`)
	noncePattern = regexp.MustCompile(`^[A-Z2-7]{26}$`)
)

// Problems a form token can have (the callback maps each to its page).
var (
	// ErrNoToken: the POST has no token or one not in its format (400): it
	// did not come from the confirmation page.
	ErrNoToken = errors.New("the form has no confirmation-page token")
	// ErrTokenForged: the token was not issued for this link (403).
	ErrTokenForged = errors.New("the form's token was not issued for this link")
	// ErrTokenExpired: the page was served more than FormLifetime ago (410).
	ErrTokenExpired = errors.New("the confirmation page has expired")
)

// NewNonce draws a nonce for a form token: 128 random bits, 26 base32
// characters.
func NewNonce() string { return rand.Text() }

// ValidNonce tells whether n has a nonce's form (NewNonce).
func ValidNonce(n string) bool { return noncePattern.MatchString(n) }

// FormToken is the token of the confirmation form of link l, served at
// issued, with nonce (NewNonce; tests pass a fixed one).
func (k Key) FormToken(l Link, nonce string, issued time.Time) (string, error) {
	if !ValidNonce(nonce) {
		return "", fmt.Errorf("form token nonce %q: want 26 base32 characters", nonce)
	}
	if !referencePattern.MatchString(l.Ref) || !validAction(l.Action) {
		return "", fmt.Errorf("%w: reference %q, action %q", ErrMalformed, l.Ref, l.Action)
	}
	at := strconv.FormatInt(issued.Unix(), 10)
	return at + "." + nonce + "." + base64.RawURLEncoding.EncodeToString(k.formMAC(l, at, nonce)), nil
}

func (k Key) formMAC(l Link, issued, nonce string) []byte {
	m := hmac.New(sha256.New, k.form)
	m.Write([]byte("form|" + l.Ref + "|" + l.Action + "|" + strconv.FormatInt(l.Expires.Unix(), 10) + "|" + issued + "|" + nonce))
	return m.Sum(nil)
}

// VerifyFormToken checks token against the verified link l at now and
// returns its nonce: the format (ErrNoToken), the signature in constant time
// (ErrTokenForged), then the age (ErrTokenExpired). Whether the nonce was
// used already is the store's to say (ErrFormUsed).
func (k Key) VerifyFormToken(token string, l Link, now time.Time) (string, error) {
	if !tokenPattern.MatchString(token) {
		return "", ErrNoToken
	}
	parts := strings.SplitN(token, ".", 3)
	issued, err := strconv.ParseInt(parts[0], 10, 64)
	mac, merr := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil || merr != nil || issued > maxExp {
		return "", ErrNoToken
	}
	if !hmac.Equal(mac, k.formMAC(l, parts[0], parts[1])) {
		return "", ErrTokenForged
	}
	at := time.Unix(issued, 0)
	switch {
	case at.After(now.Add(formSkew)):
		// Issued in the future: not by a clock of this deployment.
		return "", ErrTokenForged
	case now.Sub(at) >= FormLifetime:
		return "", fmt.Errorf("%w: it was served at %s and works for %s", ErrTokenExpired, at.UTC().Format(time.RFC3339), FormLifetime)
	}
	return parts[1], nil
}
