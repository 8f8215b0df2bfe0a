package ecs.lib

# not_a_secret(value): a value that cannot be the secret itself: empty, a
# reference to where the secret is (an ARN, a CloudFormation dynamic
# reference, a Secrets Manager/SSM/Vault path, a lower-case file path, a URL
# without credentials), a template variable, a mask, a boolean, or a
# placeholder. A mixed-case "/..." value may be base64 and is not a path.
not_a_secret(value) if not is_string(value)

not_a_secret(value) if trim_space(value) == ""

not_a_secret(value) if regex.match(reference, value)

not_a_secret(value) if regex.match(
	`^(?:\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\{\{[^}]*\}\}|<[^>]*>|%[A-Za-z_]+%|\*+|x+|X+|\.+|-+|#+)$`,
	value,
)

not_a_secret(value) if lower(value) in {
	"true", "false", "yes", "no", "on", "off", "enabled", "disabled", "enable", "disable", "none",
	"null", "nil", "undefined", "n/a", "na", "todo", "tbd", "changeme", "change_me", "replace_me",
	"replaceme", "placeholder", "redacted", "dummy", "example", "required", "optional",
}

# reference: values that point at where a secret is kept.
reference := concat("|", [
	`^arn:aws[a-z-]*:`,
	`^\{\{resolve:`,
	`^(?:ssm|ssm-secure|secretsmanager|vault|kms):`,
	`^(?:/|\./|~/)(?:[a-z0-9._-]+/)*[a-z0-9._-]+/?$`,
	`^[a-z][a-z0-9+.-]*://[^@\s]*$`,
])
