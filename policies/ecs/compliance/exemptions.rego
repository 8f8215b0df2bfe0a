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
