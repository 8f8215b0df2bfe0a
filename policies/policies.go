// Package policies embeds the policy library: the Rego modules, their data,
// tests and samples, rooted at this folder, so that the CDK app, the local
// executor and tests have the bundle without depending on the working
// directory. bundle.ReadFS(policies.FS) gives the deployable files (modules
// and data.json; no tests, no samples).
//
// Layout: data.json (configuration: data.ecs.config), ecs/compliance (the
// decision), ecs/lib (shared helpers), ecs/rules/<id>/ (one rule per folder:
// <id>.rego, <id>_test.rego, samples/samples.json), cmd/opa (the OPA command
// line with the library's custom built-ins).
package policies

import "embed"

// FS is the policy folder.
//
//go:embed data.json ecs
var FS embed.FS
