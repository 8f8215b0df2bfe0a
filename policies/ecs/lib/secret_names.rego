package ecs.lib

# Secret-sounding names. A name is split into words (on anything that is not
# a letter, and between camelCase humps); it sounds like a secret when one
# word is a secret keyword (password, passwd, pwd, passphrase, secret, token,
# credential(s), apikey, ... also at the end of a compound such as
# dbpassword) or a keyword pair (api key, private key, secret key, ...; pass
# as the last word: DB_PASS), and no later word makes it about configuration
# rather than the secret itself (TOKEN_URL, PASSWORD_MIN_LENGTH,
# SECRETS_MANAGER_ENDPOINT, DB_PASSWORD_FILE). Whole words only: PASSENGER,
# TOKENIZER and KEYBOARD are not keywords. ecs.config.secret_env_names adds
# patterns (matched against the upper-cased name); ecs.config.secret_env_allow
# lists names known not to be secrets.
secret_name(name) if {
	regex.match(configured_names, upper(name))
	not allowed_name(name)
}

secret_name(name) if {
	# every keyword holds one of these: most names are ruled out by one match
	regex.match(`(?i)pass|pwd|secret|token|key|cred|contrase`, name)
	not allowed_name(name)
	words := name_words(name)
	some i, word in words
	keyword(words, i, word)
	not configuration_word_after(words, i)
}

allowed_name(name) if {
	regex.match(allowed_names, upper(name))
}

# configured_names and allowed_names are ecs.config.secret_env_names and
# secret_env_allow as one pattern each (undefined when the list is empty).
configured_names := any_of(config.secret_env_names) if count(config.secret_env_names) > 0

allowed_names := any_of(config.secret_env_allow) if count(config.secret_env_allow) > 0

# any_of is one pattern matching what any of patterns matches.
any_of(patterns) := concat("|", [sprintf("(?:%s)", [pattern]) | some pattern in patterns])

# name_words: "dbPassword" and "DB_PASSWORD" are ["db", "password"],
# "APIKey" is ["api", "key"].
name_words(name) := [word |
	some word in regex.split(`[^a-z]+`, lower(regex.replace(
		regex.replace(name, `([a-z0-9])([A-Z])`, "${1}_${2}"),
		`([A-Z]+)([A-Z][a-z])`, "${1}_${2}",
	)))
	word != ""
]

keyword(_, _, word) if regex.match(keyword_word, word)

keyword(words, i, "key") if words[i - 1] in key_kinds

keyword(words, i, "pass") if i == count(words) - 1

# keyword_word: a word that is a secret keyword by itself, including
# compounds that end in one (dbpassword, accesstoken, apikey).
keyword_word := concat("", [
	`^(?:[a-z]*(?:password|passwd|passphrase|secret|token)|pwd|passcode|credentials?|contrasena|`,
	`(?:api|auth|private|priv|secret|access|signing|encryption|master|hmac|jwt|client|app|session|license)key)$`,
])

key_kinds := {
	"api", "auth", "private", "priv", "client", "secret", "access", "signing", "sign", "encryption",
	"encrypt", "master", "hmac", "jwt", "ssh", "app", "session", "service", "account", "db",
	"database", "license", "webhook", "consumer", "crypto", "cipher", "aes", "gpg", "pgp", "rsa",
	"ssl", "tls",
}

configuration_word_after(words, i) if {
	some j, word in words
	j > i
	word in configuration_words
}

configuration_words := {
	"url", "uri", "urls", "endpoint", "host", "hostname", "port", "path", "file", "dir", "directory",
	"arn", "name", "id", "ids", "ttl", "expiry", "expires", "expiration", "length", "len", "min", "max",
	"policy", "type", "header", "cookie", "prefix", "suffix", "region", "version", "enabled", "disabled",
	"enable", "disable", "required", "require", "format", "manager", "store", "provider", "rotation",
	"timeout", "count", "size", "limit", "lifetime", "interval", "location", "source", "backend",
	"command", "mode", "algorithm", "alg", "ref", "reference", "param", "parameter", "field", "env",
	"label", "audience", "issuer", "scope", "scopes", "kind", "strength", "complexity", "reset",
	"rules", "pattern", "regex", "validation", "seconds", "secs", "minutes", "mins", "hours", "days",
	"ms", "sec", "permissions", "method",
}
