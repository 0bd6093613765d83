"""Decide whether one environment variable holds a plaintext credential.

Pure (no Pulumi imports) so that it can be tested on its own and reused by any policy that looks at
key/value settings. `find_secret(key, value)` returns a `Finding` whose reason says what was
detected and what to set instead, or None.

How a value is judged, in order (the first rule that decides wins):

1. Keys in `allowed_keys`, empty values, Pulumi's unknown-value sentinel, ARNs and CloudFormation
   dynamic references (`{{resolve:...}}`) are never findings.
2. Credential-shaped values whatever the key: detect-secrets' specific detectors (AWS keys, private
   keys, JWTs, GitHub, GitLab, Slack, Stripe, SendGrid, OpenAI, PyPI, Twilio, Discord, Mailchimp,
   Telegram, Square, Azure storage keys, basic-auth URLs), plus a few explicit patterns for what
   those detectors miss (each commented where it is defined), and the string fields of a JSON value
   judged one by one.
3. References and plain settings are not findings: Secrets Manager names and SSM parameter paths
   (`prod/db/password`, `/app/db/password`), URLs without credentials, numbers, durations, booleans,
   header names, placeholders (`${DB_PASSWORD}`). As asked of this rule, a bare number is a setting
   even under a secret-sounding key, so a numeric PIN in DB_PASSWORD is not flagged.
4. A secret-sounding key (PASSWORD, SECRET, TOKEN, API_KEY, PRIVATE_KEY, CREDENTIALS, ...) holding
   any other literal is a finding, however short or low-entropy the value (`DB_PASSWORD=hunter2`).
   A key that merely contains such a word followed by a setting noun (TOKEN_TTL_SECONDS,
   PASSWORD_MIN_LENGTH, AUTH_TOKEN_HEADER, SIGNING_KEY_SECRET_ARN) is not secret-sounding.
5. Under any other key: hex digests (md5/sha1/sha256/sha512 lengths, or any hex/base64 value under a
   key naming a hash such as CODE_SHA256 or GIT_SHA), UUIDs and IAM unique IDs (AIDA..., AROA...)
   are public identifiers, not findings;
   other values of 20+ characters without whitespace that do not read as words are checked with
   detect-secrets' Shannon entropy.

Decision on UUIDs: under a neutral key (TENANT_ID, CLIENT_ID, REQUEST_ID) a UUID is an identifier and
is not flagged; under a secret-sounding key (WEBHOOK_SECRET, API_KEY) it is flagged by rule 4, since
some services issue UUID-shaped secrets.

Why the noisy detect-secrets plugins are not used as they are: `KeywordDetector` and the
high-entropy plugins are built to scan source lines; on env vars they flag ordinary settings
(`TOKEN_TTL_SECONDS=3600`, ARNs, bucket names). This module keeps their ideas (the keyword list,
the entropy measure) and gates them by hand as described above.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import string
from collections.abc import Callable, Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.high_entropy_strings import (
    Base64HighEntropyString,
    HexHighEntropyString,
    HighEntropyStringsPlugin,
)
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

__all__ = ["Finding", "find_secret"]


@dataclass(frozen=True)
class Finding:
    """An env var that holds a plaintext credential, and why we think so."""

    key: str
    reason: str


STORE = "store it in Secrets Manager and pass its ARN in the env var instead"
USE_ROLE = (
    "remove it and let the function use its execution role (or store it in Secrets Manager and pass its ARN in the "
    "env var instead)"
)
STRIP_PASSWORD = (
    "remove the credential from it, store the credential in Secrets Manager and pass its ARN in another env var instead"
)

# Pulumi's wire value for "not known until apply": a preview placeholder, not a literal.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

# detect-secrets' specific detectors, called through `analyze_string` on the bare value, so that none
# of its settings, baseline or verification machinery is involved. Left out on purpose:
# ArtifactoryDetector (its password pattern `AP[0-9A-F][a-zA-Z0-9]{8,}` matches ordinary identifiers
# such as "APDeployments"), NpmDetector (needs an .npmrc line), the IBM/Cloudant/SoftLayer detectors
# (they need a `name = value` source line; their bare values fall to the keyword and entropy rules),
# IPPublicDetector (an IP address is not a credential), and KeywordDetector/high-entropy plugins
# (gated by hand below).
VALUE_DETECTORS: tuple[tuple[str, RegexBasedDetector], ...] = (
    ("a PEM private key", PrivateKeyDetector()),
    ("a JSON Web Token", JwtTokenDetector()),
    ("a GitHub token", GitHubTokenDetector()),
    ("a GitLab token", GitLabTokenDetector()),
    ("a Slack token or webhook URL", SlackDetector()),
    ("a Stripe live API key", StripeDetector()),
    ("a SendGrid API key", SendGridDetector()),
    ("an OpenAI API key", OpenAIDetector()),
    ("a PyPI upload token", PypiTokenDetector()),
    ("a Twilio API key", TwilioKeyDetector()),
    ("a Discord bot token", DiscordBotTokenDetector()),
    ("a Mailchimp API key", MailchimpDetector()),
    ("a Telegram bot token", TelegramBotTokenDetector()),
    ("a Square OAuth secret", SquareOAuthDetector()),
    ("an Azure storage account key (AccountKey=...)", AzureStorageKeyDetector()),
)
AWS_KEYS = AWSKeyDetector()
BASIC_AUTH = BasicAuthDetector()
BASE64_ENTROPY = Base64HighEntropyString()
HEX_ENTROPY = HexHighEntropyString()


class _PrintableEntropy(HighEntropyStringsPlugin):
    """detect-secrets' Shannon entropy over every printable character, for values with symbols
    (generated passwords) that its base64 and hex charsets would only partly count."""

    secret_type = "Printable High Entropy String"

    def __init__(self) -> None:
        super().__init__(charset=string.ascii_letters + string.digits + string.punctuation, limit=4.5)


PRINTABLE_ENTROPY = _PrintableEntropy()

# Well-known token formats detect-secrets 1.5 has no detector for (anchored on their fixed prefixes,
# so they cannot match ordinary settings).
EXTRA_TOKENS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a GitHub fine-grained personal access token", re.compile(r"github_pat_[A-Za-z0-9_]{60,}")),
    ("a Google API key", re.compile(r"AIza[0-9A-Za-z_-]{35}")),
    ("an Anthropic API key", re.compile(r"sk-ant-[A-Za-z0-9_-]{20,}")),
    ("an npm access token", re.compile(r"npm_[A-Za-z0-9]{36}")),
    ("a Stripe restricted or secret test key", re.compile(r"(?:sk|rk)_test_[0-9a-zA-Z]{24,}")),
)

# PrivateKeyDetector lists fixed headers and misses PKCS#8 "ENCRYPTED PRIVATE KEY" and other
# variants; any PEM header naming a private key is one.
PEM_PRIVATE = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
# A PEM file is often base64-encoded once more to fit on one line; "LS0tLS1CRUdJTi" is "-----BEGIN".
BASE64_PEM_PREFIX = "LS0tLS1CRUdJTi"

# BasicAuthDetector needs a non-empty user and a password without sub-delimiters, so it misses
# `redis://:pw@host` and `postgres://app:s3cr3t!@db`; urlsplit reads any userinfo password.
# Key=value connection strings (ADO.NET, JDBC, Azure Service Bus) and credentials in a URL's query
# string have no detector at all.
CONN_STRING_SECRET = re.compile(
    r"(?:^|[;\s])(?:password|pwd|accountkey|sharedaccesskey|sharedsecret)\s*=\s*([^;\s]+)",
    re.IGNORECASE,
)
QUERY_SECRET = re.compile(
    r"[?&](?:password|passwd|pwd|secret|client_secret|token|access_token|auth_token|api_key|apikey|sig"
    r"|x-amz-signature|x-amz-security-token)=([^&#\s]+)",
    re.IGNORECASE,
)
# "Bearer <token>" / "Basic <base64>": a whole Authorization header value, which has a space and so
# escapes every single-token detector.
AUTH_HEADER = re.compile(r"^(?:Bearer|Basic|Token|Digest)\s+\S{8,}$", re.IGNORECASE)
# A template or placeholder filled in elsewhere (`${DB_PASSWORD}`, `{{password}}`, `<password>`,
# `{password}`, `%(password)s`, `$DB_PASSWORD`, `****`) is not a literal credential.
PLACEHOLDER = re.compile(
    r"^(?:\$\{[^}]*\}|\{[A-Za-z_][A-Za-z0-9_.]*\}|\{\{[^}]*\}\}|<[^>]*>|%\([^)]*\)s|\$[A-Za-z_][A-Za-z0-9_]*|\*+)$"
)

ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:\d{0,12}:\S+$")
DYNAMIC_REFERENCE = re.compile(r"^\{\{resolve:(?:secretsmanager|ssm|ssm-secure):\S+\}\}$")
# A Secrets Manager name or SSM parameter path: slash-separated segments of name characters
# (whether it reads as words is checked separately, so that base64 containing "/" is not one).
PATH_LIKE = re.compile(r"^/?[A-Za-z0-9_.+=@-]+(?:/[A-Za-z0-9_.+=@-]+)*/?$")
URL = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$", re.IGNORECASE)
NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
DURATION = re.compile(
    r"^(?:\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w|sec|secs|seconds?|mins?|minutes?|hours?|days?|weeks?)|P(?:T?\d+[YMWDHS])+)$",
    re.IGNORECASE,
)
BOOLEAN = {"true", "false", "yes", "no", "on", "off", "enabled", "disabled", "none", "null", "nil"}
# Only X-* and the usual auth header names: a general "Word-Word" pattern would also pass
# passphrases such as "Correct-Horse-Battery".
HEADER_NAME = re.compile(r"^(?:X-[A-Za-z0-9-]+|(?:Proxy-)?Authorization|Cookie|Api-Key|Api-Token|Auth-Token)$")
HEX = re.compile(r"^[0-9a-fA-F]+$")
# IAM unique IDs (users AIDA, roles AROA, instance profiles AIPA, policies ANPA/ANVA, groups AGPA,
# certificates ASCA) show up in resource policies and logs; they identify, they do not authenticate.
IAM_UNIQUE_ID = re.compile(r"^(?:AIDA|AROA|AIPA|ANPA|ANVA|AGPA|ASCA)[A-Z0-9]{12,}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
BASE64_CHARS = re.compile(r"^[A-Za-z0-9+/_=-]+$")
AWS_SECRET_KEY_SHAPE = re.compile(r"^[A-Za-z0-9/+]{40}$")
# Hex lengths of md5, sha1, sha224, sha256, sha384, sha512: public digests (commit SHAs, artifact
# hashes), not secrets, unless the key says otherwise.
DIGEST_HEX_LENGTHS = {32, 40, 56, 64, 96, 128}
HASH_KEY_WORDS = {
    "sha", "md5", "hash", "digest", "checksum", "etag", "commit", "revision", "rev", "fingerprint", "integrity", "crc",
}  # fmt: skip

# Secret-sounding key words: detect-secrets' KeywordDetector list (password, passwd, pwd, secret,
# api_key, auth_key, private_key, ...) plus token and credentials, which it leaves out.
SECRET_NOUNS = {
    "password", "passwd", "pwd", "pass", "passphrase", "secret", "secrets", "token", "credential", "credentials",
    "creds", "apikey", "privatekey", "secretkey", "accesskey", "authkey", "contrasena",
}  # fmt: skip
# Glued spellings (PGPASSWORD, AUTHTOKEN, XAPIKEY) end with one of these.
SECRET_SUFFIXES = ("password", "passwd", "secret", "token", "apikey", "privatekey", "secretkey", "passphrase")
# "<word> KEY" is secret-sounding for these words (API_KEY, SIGNING_KEY); a bare KEY is not
# (PARTITION_KEY, S3_KEY, CACHE_KEY are settings).
KEY_PREFIXES = {
    "api", "auth", "access", "private", "secret", "signing", "encryption", "master", "client", "service", "account",
    "session", "hmac", "license", "webhook", "db", "database", "ssh", "gpg", "pgp", "jwt", "shared", "app", "consumer",
}  # fmt: skip
# Words that may follow the secret noun without turning the key into a setting about the secret:
# SECRET_KEY_BASE, DB_PASSWORD_2, API_KEY_PRIMARY. Anything else after it (TTL, SECONDS, LENGTH,
# HEADER, ARN, NAME, ID, PATH, ...) makes the key describe the secret rather than hold it.
KEY_QUALIFIERS = {
    "base", "value", "val", "raw", "plain", "plaintext", "text", "string", "str", "b64", "base64", "hex", "pem", "der",
    "data", "content", "contents", "default", "old", "new", "current", "previous", "prev", "next", "primary",
    "secondary", "main", "backup", "live", "test", "prod", "dev", "staging",
}  # fmt: skip
KEY_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

# A token "reads as a word" (and so carries little randomness) if it is short, a lower/upper/
# Capitalised/camelCase word optionally followed by digits, digits with a short unit, or hex (ids,
# commit SHAs inside image tags).
WORD = re.compile(
    r"^(?:[a-z]+|[A-Z]+|(?:[A-Z][a-z]+)+|[a-z]+(?:[A-Z][a-z]+)+)\d*$|^\d+[a-z]{0,3}$|^[0-9a-f]+$|^[0-9A-F]+$"
)
MIN_ENTROPY_LENGTH = 20


def find_secret(key: str, value: str, allowed_keys: Collection[str] = ()) -> Finding | None:
    """Return a Finding if the env var `key=value` holds a plaintext credential, else None."""
    if key in allowed_keys:
        return None
    name_shape = _credential_in_name(key)
    if name_shape is not None:
        return Finding(key, f"the name looks like {name_shape}: rename the variable and {STORE}")
    text = value.strip()
    if not text or text == UNKNOWN or ARN.match(text) or DYNAMIC_REFERENCE.match(text):
        return None
    reason = _credential_shape(key, text)
    if reason is not None:
        return Finding(key, reason)
    if _is_reference(text) or _is_plain_setting(text):
        return None
    if is_secret_sounding(key):
        return Finding(key, f"the name marks it as a secret and the value is a literal, not a reference: {STORE}")
    if _is_public_identifier(key, text):
        return None
    return _high_entropy(key, text)


def is_secret_sounding(key: str) -> bool:
    """True when the key names a secret (DB_PASSWORD, SECRET_KEY_BASE, dbPassword, PGPASSWORD), false
    when it names a setting about one (TOKEN_TTL_SECONDS, SIGNING_KEY_SECRET_ARN) or nothing secret."""
    words = [w.lower() for w in KEY_WORD.findall(key)]
    last_noun = -1
    for i, word in enumerate(words):
        compound_key = word == "key" and i > 0 and words[i - 1] in KEY_PREFIXES
        if word in SECRET_NOUNS or word.endswith(SECRET_SUFFIXES) or compound_key:
            last_noun = i
    if last_noun < 0:
        return False
    return all(w in KEY_QUALIFIERS or w.isdigit() for w in words[last_noun + 1 :])


def _credential_in_name(key: str) -> str | None:
    """A credential pasted as the variable's name (only the exact-format detectors: names are short)."""
    if any(True for _ in AWS_KEYS.analyze_string(key)):
        return "an AWS access key ID"
    for label, detector in VALUE_DETECTORS:
        if any(True for _ in detector.analyze_string(key)):
            return label
    return None


def _credential_shape(key: str, text: str) -> str | None:
    """The reason for a value that has the shape of a known credential, whatever its key."""
    # On a bare value only AWSKeyDetector's key-ID pattern can match (its other one needs quotes).
    if any(True for _ in AWS_KEYS.analyze_string(text)):
        return f"the value looks like an AWS access key ID: {USE_ROLE}"
    # AWSKeyDetector's second pattern reads a 40-character secret key next to an "aws ... key" name,
    # so it is given the variable as a source line.
    if any(True for _ in AWS_KEYS.analyze_string(f'{key}="{text}"')) or _looks_like_aws_secret_key(text):
        return f"the value looks like an AWS secret access key: {USE_ROLE}"
    for label, detector in VALUE_DETECTORS:
        if any(True for _ in detector.analyze_string(text)):
            return f"the value looks like {label}: {STORE}"
    for label, pattern in EXTRA_TOKENS:
        if pattern.search(text):
            return f"the value looks like {label}: {STORE}"
    if PEM_PRIVATE.search(text):
        return f"the value looks like a PEM private key: {STORE}"
    if text.startswith(BASE64_PEM_PREFIX) and PEM_PRIVATE.search(_b64decode(text)):
        return f"the value looks like a base64-encoded PEM private key: {STORE}"
    if _url_password(text) is not None:
        return f"the value is a URL with an embedded password: {STRIP_PASSWORD}"
    query = QUERY_SECRET.search(text) if URL.match(text) else None
    if query is not None and not PLACEHOLDER.match(query.group(1)):
        return f"the value is a URL with a credential in its query string: {STRIP_PASSWORD}"
    conn = CONN_STRING_SECRET.search(text)
    if conn is not None and not PLACEHOLDER.match(conn.group(1)):
        return f"the value is a connection string with an embedded password or key: {STRIP_PASSWORD}"
    if AUTH_HEADER.match(text):
        return f"the value is an HTTP Authorization header with credentials: {STORE}"
    field = _json_field_with_secret(text)
    if field is not None:
        return f'the value is JSON with a plaintext credential in field "{field}": {STORE}'
    return None


def _json_field_with_secret(text: str) -> str | None:
    """A JSON object in one env var (DB_CONFIG='{"user": "app", "password": "..."}') hides its
    fields from every rule above, so each string field is judged like an env var of its own."""
    if not text.startswith("{"):
        return None
    try:
        document: object = json.loads(text)
    except ValueError:
        return None
    pending: list[tuple[str, object]] = [("", document)]
    while pending:
        path, node = pending.pop()
        if isinstance(node, dict):
            pending.extend((f"{path}.{k}" if path else str(k), v) for k, v in node.items())
        elif isinstance(node, list):
            pending.extend((f"{path}[{i}]", v) for i, v in enumerate(node))
        elif isinstance(node, str) and find_secret(path.rsplit(".", 1)[-1], node) is not None:
            return path
    return None


def _url_password(text: str) -> str | None:
    if not URL.match(text):
        return None
    for found in BASIC_AUTH.analyze_string(text):
        if not PLACEHOLDER.match(found):
            return found
    try:
        password = urlsplit(text).password
    except ValueError:
        return None
    if password and not PLACEHOLDER.match(password):
        return password
    return None


def _b64decode(text: str) -> str:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4)).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return ""


def _looks_like_aws_secret_key(text: str) -> bool:
    """40 characters of base64 with mixed case and a high entropy: the shape of an AWS secret key,
    which has no fixed prefix (a 40-character hex SHA-1 is excluded: it is a digest)."""
    return bool(
        AWS_SECRET_KEY_SHAPE.match(text)
        and not HEX.match(text)
        and _char_classes(text) >= 3
        and BASE64_ENTROPY.calculate_shannon_entropy(text) > _base64_limit(len(text))
    )


def _reads_as_words(text: str) -> bool:
    tokens = [t for t in re.split(r"[^A-Za-z0-9]+", text) if t]
    return all(len(t) <= 4 or WORD.match(t) for t in tokens)


def _is_reference(text: str) -> bool:
    """A secret's name or parameter path (prod/db/password, /app/db/password), a file path, a URL
    without credentials, or a placeholder: something that points at a secret rather than holds it."""
    if PLACEHOLDER.match(text) or URL.match(text):
        return True
    return "/" in text and bool(PATH_LIKE.match(text)) and _reads_as_words(text)


def _is_plain_setting(text: str) -> bool:
    return bool(
        NUMBER.match(text) or DURATION.match(text) or text.lower() in BOOLEAN or HEADER_NAME.match(text),
    )


def _is_public_identifier(key: str, text: str) -> bool:
    """Digests, UUIDs and IAM unique IDs under a key that does not name a secret (checked by the caller)."""
    if UUID.match(text) or IAM_UNIQUE_ID.match(text):
        return True
    algo, _, digest = text.partition(":")
    if digest and algo.lower() in {"sha1", "sha256", "sha384", "sha512", "md5"} and HEX.match(digest):
        return True
    if HEX.match(text) and len(text) in DIGEST_HEX_LENGTHS:
        return True
    names_a_hash = any(w.lower() in HASH_KEY_WORDS for w in KEY_WORD.findall(key))
    return names_a_hash and bool(HEX.match(text) or BASE64_CHARS.match(text))


def _char_classes(text: str) -> int:
    return sum(
        (
            any(c.islower() for c in text),
            any(c.isupper() for c in text),
            any(c.isdigit() for c in text),
            any(not c.isalnum() for c in text),
        )
    )


def _base64_limit(length: int) -> float:
    """detect-secrets' 4.5 bits/char limit suits long strings; a random string of n characters cannot
    exceed log2(n) bits/char (4.32 at n=20), so shorter values get log2(n) - 0.8, which random
    base64 strings of 20-40 characters exceed about 99% of the time."""
    return min(BASE64_ENTROPY.entropy_limit, math.log2(length) - 0.8)


def _high_entropy(key: str, text: str) -> Finding | None:
    if len(text) < MIN_ENTROPY_LENGTH or any(c.isspace() for c in text):
        return None
    if HEX.match(text):
        if HEX_ENTROPY.calculate_shannon_entropy(text) > HEX_ENTROPY.entropy_limit:
            return Finding(key, f"the value is a high-entropy hex string that looks like a generated secret: {STORE}")
        return None
    if _reads_as_words(text) or _char_classes(text) < 2:
        return None
    measure: Callable[[str], float] = (
        BASE64_ENTROPY.calculate_shannon_entropy
        if BASE64_CHARS.match(text)
        else PRINTABLE_ENTROPY.calculate_shannon_entropy
    )
    if measure(text) > _base64_limit(len(text)):
        return Finding(key, f"the value is a high-entropy string that looks like a generated secret: {STORE}")
    return None
