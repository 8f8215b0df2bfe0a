# METADATA
# title: Test helpers
# description: >-
#   Shared by the rules' tests. The samples (ecs/rules/<id>/samples/samples.json)
#   are loaded by `opa test policies` as data.ecs.rules.<id>.samples; this file
#   is a test file (_test.rego), so it never ships in the bundle.
package ecs.testing

# hardened is an input every rule passes: the privileged_container rule's
# passing sample.
hardened := data.ecs.rules.privileged_container.samples.pass.input

# digest is a well-formed image digest.
digest := "sha256:4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f"

# reports tells whether a rule's findings for a sample's input are exactly
# what the sample expects of that rule: the same number, and for each
# expectation a finding for its container whose message contains its text.
reports(findings, sample, rule) if {
	expected := [expectation | some expectation in sample.expect; expectation.rule == rule]
	count(findings) == count(expected)
	every expectation in expected {
		some finding in findings
		finding.rule == rule
		finding.container == expectation.container
		contains(finding.message, expectation.message)
	}
}

# patched is the hardened input with JSON patch operations applied.
patched(operations) := json.patch(hardened, operations)

# with_container is the hardened input with fields of its first container
# set.
with_container(fields) := json.patch(hardened, [operation |
	some key, value in fields
	operation := {"op": "add", "path": sprintf("/taskDefinition/containerDefinitions/0/%s", [key]), "value": value}
])

# messages are the findings' messages.
messages(findings) := {finding.message | some finding in findings}
