package ecs.compliance

import data.ecs.lib

# exemption is the first exemption of ecs.config.exemptions (in list order)
# that covers the item: its rules list the item's rule (or "*"), every key of
# its scope matches the task (account, cluster, service, family; "*" matches
# anything) and it has not expired.
exemption(item) := {"reason": object.get(chosen, "reason", ""), "expires": object.get(chosen, "expires", "")} if {
	matching := [candidate | some candidate in lib.config.exemptions; covers(candidate, item)]
	count(matching) > 0
	chosen := matching[0]
}

covers(candidate, item) if {
	names_rule(candidate.rules, item.rule)
	active(candidate, input.context.time)
	every key, want in object.get(candidate, "scope", {}) {
		in_scope(key, want)
	}
}

names_rule(rules, rule) if rule in rules

names_rule(rules, _) if "*" in rules

in_scope(_, "*")

in_scope(key, want) if lib.scope[key] == want

# active: an exemption without expires never expires; one with expires
# (YYYY-MM-DD, UTC) applies up to the end of that day, compared with the
# event's time (input.context.time), never the wall clock. An exemption whose
# date or the event's time does not parse does not apply.
active(candidate, _) if not "expires" in object.keys(candidate)

active(candidate, now) if {
	expires := time.parse_ns("2006-01-02", candidate.expires)
	time.parse_rfc3339_ns(now) < expires + day_ns
}

day_ns := ((24 * 60) * 60) * 1000000000

# METADATA
# title: Rules a task-scoped exemption could lift
# description: >-
#   The rules that an active exemption whose scope names a cluster or a
#   service (what only a task has) covers, for this task definition's account
#   and family ("*": every rule). A decision made without a task, at
#   registration, holds for every task of the revision only through the
#   other rules' violations: the workflow then remediates the revision's
#   later tasks without evaluating them again.
task_scoped_rules contains rule if {
	some candidate in lib.config.exemptions
	active(candidate, input.context.time)
	task_scoped(candidate)
	some rule in candidate.rules
}

task_scoped(candidate) if {
	some key, want in object.get(candidate, "scope", {})
	key in {"cluster", "service"}
	want != "*"
	every other, value in object.get(candidate, "scope", {}) {
		task_key_or_matches(other, value)
	}
}

task_key_or_matches(key, _) if key in {"cluster", "service"}

task_key_or_matches(key, want) if in_scope(key, want)
