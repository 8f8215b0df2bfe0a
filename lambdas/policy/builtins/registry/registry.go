// Package registry tells which container registry a host names: every
// documented endpoint of one Amazon ECR registry (IPv4, FIPS, dual-stack, in
// every partition's domain) is that registry, Docker Hub's aliases are
// docker.io, IPv6 literals compare as addresses, and every other host
// compares exactly, with its port. It parses configured registries
// ("host[:port][/path]") the way image references are parsed
// (github.com/distribution/reference). It depends on no OPA package, so
// that configuration checks outside the policy (the CDK app) can use it.
package registry

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/distribution/reference"
)

// Registry identity. An image's registry is judged by what it is, not by how
// its host is spelled: the same Amazon ECR registry answers on its IPv4
// endpoint, its FIPS endpoint and its dual-stack endpoints, in every
// partition's domain; Docker Hub answers as docker.io, index.docker.io and
// registry-1.docker.io. RegistryID maps every spelling of one registry to one
// identity and compares everything else as an exact host.

// ecrHost matches the private Amazon ECR registry endpoints AWS documents for
// Docker and OCI clients (the same forms the Amazon ECR credential helper
// recognises):
//
//	<account>.dkr.ecr.<region>.amazonaws.com            IPv4
//	<account>.dkr.ecr-fips.<region>.amazonaws.com       IPv4, FIPS
//	<account>.dkr-ecr.<region>.on.aws                   dual-stack
//	<account>.dkr-ecr-fips.<region>.on.aws              dual-stack, FIPS
//	<account>.dkr.ecr.<region>.amazonaws.com.cn         China (IPv4)
//	<account>.dkr-ecr.<region>.on.amazonwebservices.com.cn  China (dual-stack)
//
// and the same in AWS GovCloud (US) (us-gov-* regions, amazonaws.com and
// on.aws), the European Sovereign Cloud (amazonaws.eu) and the ISO partitions
// (c2s.ic.gov, sc2s.sgov.gov, cloud.adc-e.uk, csp.hci.ic.gov).
var ecrHost = regexp.MustCompile(`^([0-9]{12})\.(dkr\.ecr|dkr\.ecr-fips|dkr-ecr|dkr-ecr-fips)\.([a-z]{2,4}(?:-[a-z]+)+-[0-9]{1,2})\.([a-z0-9.-]+)$`)

// ecrDomain is one partition's DNS suffix for ECR registry endpoints.
type ecrDomain struct {
	partition string
	// regionPrefix: the partition's regions start with it ("" for any
	// region that no other partition of this domain claims).
	regionPrefix string
	// canonical is the partition's IPv4 domain, which the identity uses.
	canonical string
	dualStack bool
}

// ecrDomains lists, per DNS suffix, the partitions that use it; the first
// whose region prefix matches wins.
var ecrDomains = map[string][]ecrDomain{
	"amazonaws.com": {
		{partition: "aws-us-gov", regionPrefix: "us-gov-", canonical: "amazonaws.com"},
		{partition: "aws", canonical: "amazonaws.com"},
	},
	"on.aws": {
		{partition: "aws-us-gov", regionPrefix: "us-gov-", canonical: "amazonaws.com", dualStack: true},
		{partition: "aws", canonical: "amazonaws.com", dualStack: true},
	},
	"amazonaws.com.cn":            {{partition: "aws-cn", regionPrefix: "cn-", canonical: "amazonaws.com.cn"}},
	"on.amazonwebservices.com.cn": {{partition: "aws-cn", regionPrefix: "cn-", canonical: "amazonaws.com.cn", dualStack: true}},
	"amazonaws.eu":                {{partition: "aws-eusc", regionPrefix: "eusc-", canonical: "amazonaws.eu"}},
	"c2s.ic.gov":                  {{partition: "aws-iso", regionPrefix: "us-iso-", canonical: "c2s.ic.gov"}},
	"sc2s.sgov.gov":               {{partition: "aws-iso-b", regionPrefix: "us-isob-", canonical: "sc2s.sgov.gov"}},
	"cloud.adc-e.uk":              {{partition: "aws-iso-e", regionPrefix: "eu-isoe-", canonical: "cloud.adc-e.uk"}},
	"csp.hci.ic.gov":              {{partition: "aws-iso-f", regionPrefix: "us-isof-", canonical: "csp.hci.ic.gov"}},
}

// claimedPrefixes are region prefixes that belong to a partition other than
// aws: an "aws" domain with such a region is not an ECR endpoint.
var claimedPrefixes = []string{"us-gov-", "cn-", "eusc-", "us-iso-", "us-isob-", "eu-isoe-", "us-isof-"}

// ECR is an Amazon ECR private registry: whose, where, and through which
// endpoint it was reached.
type ECR struct {
	Account   string
	Region    string
	Partition string
	FIPS      bool
	DualStack bool
}

// ParseECRHost tells whether host (lower case, no port or port 443) is an
// endpoint of an Amazon ECR private registry, and which. A host that merely
// contains an ECR host (a longer domain, another label) is not.
func ParseECRHost(host string) (ECR, bool) {
	host = strings.TrimSuffix(strings.ToLower(host), ":443")
	m := ecrHost.FindStringSubmatch(host)
	if m == nil {
		return ECR{}, false
	}
	account, endpoint, region, suffix := m[1], m[2], m[3], m[4]
	domains, ok := ecrDomains[suffix]
	if !ok {
		return ECR{}, false
	}
	for _, d := range domains {
		if !regionFits(region, d) {
			continue
		}
		// IPv4 domains take dkr.ecr[-fips], dual-stack ones dkr-ecr[-fips].
		if d.dualStack != strings.HasPrefix(endpoint, "dkr-") {
			return ECR{}, false
		}
		return ECR{Account: account, Region: region, Partition: d.partition,
			FIPS: strings.HasSuffix(endpoint, "-fips"), DualStack: d.dualStack}, true
	}
	return ECR{}, false
}

func regionFits(region string, d ecrDomain) bool {
	if d.regionPrefix != "" {
		return strings.HasPrefix(region, d.regionPrefix)
	}
	for _, p := range claimedPrefixes {
		if strings.HasPrefix(region, p) {
			return false
		}
	}
	return true
}

// Host is the registry's IPv4, non-FIPS endpoint: the spelling every ECR
// identity uses.
func (e ECR) Host() string {
	for _, domains := range ecrDomains {
		for _, d := range domains {
			if d.partition == e.Partition {
				return e.Account + ".dkr.ecr." + e.Region + "." + d.canonical
			}
		}
	}
	return ""
}

// dockerHubHosts are the spellings of Docker Hub's registry.
var dockerHubHosts = map[string]bool{"docker.io": true, "index.docker.io": true, "registry-1.docker.io": true}

// ID is the identity of the registry at host (a registry host as
// in an image reference, with its port if any): for Amazon ECR, its IPv4
// endpoint whatever endpoint was used (FIPS, dual-stack); for Docker Hub,
// docker.io; for an IPv6 literal, its canonical form with the port; for
// anything else, the host in lower case with its port. Two spellings of one
// registry have the same identity; different registries never do.
func ID(host string) string {
	h := strings.ToLower(host)
	if e, ok := ParseECRHost(h); ok {
		return e.Host()
	}
	if dockerHubHosts[h] {
		return "docker.io"
	}
	if strings.HasPrefix(h, "[") {
		end := strings.Index(h, "]")
		if end > 0 {
			if addr, err := netip.ParseAddr(h[1:end]); err == nil {
				return "[" + addr.String() + "]" + h[end+1:]
			}
		}
	}
	return h
}

var (
	anchoredDomain = regexp.MustCompile(`^(?:` + reference.DomainRegexp.String() + `)$`)
	pathComponent  = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$`)
)

// ValidHost tells whether host is a registry host as an image reference
// may hold it: a DNS name, an IPv4 address or a bracketed IPv6 literal, with
// an optional port.
func ValidHost(host string) bool { return anchoredDomain.MatchString(host) }

// ValidPathComponent tells whether c is one component of a repository path.
func ValidPathComponent(c string) bool { return pathComponent.MatchString(c) }

// Entry is a configured registry: a host, optionally followed by a
// repository path.
type Entry struct {
	Valid      bool   `json:"valid"`
	Error      string `json:"error"`
	Host       string `json:"host"`
	Path       string `json:"path"`
	RegistryID string `json:"registry_id"`
}

// ParseEntry parses a configured registry, "host[:port][/path]":
// every host form github.com/distribution/reference accepts in an image
// reference (DNS names, IPv4, bracketed IPv6 literals, ports), and a path of
// repository components. The host is what Docker would read as a registry:
// a bare word such as "registry" is not one ("registry/app" is Docker Hub's
// repository registry/app), unless it is "localhost" or has a port.
func ParseEntry(entry string) Entry {
	host, path, hasPath := strings.Cut(entry, "/")
	switch {
	case strings.TrimSpace(entry) != entry || strings.ContainsAny(entry, " \t\r\n"):
		return Entry{Error: "a registry has no whitespace"}
	case host == "":
		return Entry{Error: "the registry host is empty"}
	case !anchoredDomain.MatchString(host):
		return Entry{Error: "the registry host " + strconv.Quote(host) + " is not a host name, IPv4 or [IPv6] address with an optional :port"}
	case !strings.ContainsAny(host, ".:") && host != "localhost":
		return Entry{Error: "the registry host " + strconv.Quote(host) + " has no dot and no port, so an image reference never reads it as a registry (" +
			strconv.Quote(host+"/app") + " is Docker Hub's repository " + strconv.Quote("docker.io/"+host+"/app") + ")"}
	}
	if hasPath {
		if path == "" {
			return Entry{Error: "the repository path after " + strconv.Quote(host+"/") + " is empty"}
		}
		for _, c := range strings.Split(path, "/") {
			if !pathComponent.MatchString(c) {
				return Entry{Error: "the repository path component " + strconv.Quote(c) +
					" is invalid (lower-case letters and digits, separated by '.', '_', '__' or '-')"}
			}
		}
	}
	return Entry{Valid: true, Host: strings.ToLower(host), Path: path, RegistryID: ID(host)}
}
