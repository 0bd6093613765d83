"""What a single value's shape says: a known credential format, something public by design, a
reference, a plain setting, a public identifier, or random bytes.

Pure (no Pulumi imports). Containers (JSON, YAML, dotenv, URLs, command lines) are taken apart by
secret_detection, which judges each piece with these functions.

Why the noisy detect-secrets plugins are not used as they are: `KeywordDetector` and the
high-entropy plugins are built to scan source lines; on settings they flag ARNs, bucket names and
TOKEN_TTL_SECONDS=3600. This module keeps their ideas (the entropy measure) and gates them by shape.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import string

from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
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

from .public_values import base64_private_key, is_digest, public_structure

STORE = "store it in Secrets Manager and pass its ARN in the env var instead"
USE_ROLE = (
    "remove it and let the function use its execution role (or store it in Secrets Manager and pass its ARN in the "
    "env var instead)"
)

# Pulumi's wire value for "not known until apply": a preview placeholder, not a literal.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

# detect-secrets' specific detectors, called through `analyze_string` on the bare value, so that none
# of its settings, baseline or verification machinery is involved. Left out on purpose:
# ArtifactoryDetector (its password pattern `AP[0-9A-F][a-zA-Z0-9]{8,}` matches ordinary identifiers
# such as "APDeployments"), NpmDetector (needs an .npmrc line), the IBM/Cloudant/SoftLayer detectors
# (they need a `name = value` source line; their bare values fall to the keyword and entropy rules),
# IPPublicDetector (an IP address is not a credential), TwilioKeyDetector (it matches account and
# API key SIDs, AC... and SK..., which identify; Twilio's secrets have no prefix), KeywordDetector
# and the high-entropy plugins (gated by hand below). BasicAuthDetector is replaced by urlsplit
# (secret_detection), which also reads passwords with sub-delimiters and empty user names.
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
    ("a Discord bot token", DiscordBotTokenDetector()),
    ("a Mailchimp API key", MailchimpDetector()),
    ("a Telegram bot token", TelegramBotTokenDetector()),
    ("a Square OAuth secret", SquareOAuthDetector()),
    ("an Azure storage account key (AccountKey=...)", AzureStorageKeyDetector()),
)
AWS_KEYS = AWSKeyDetector()
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
    ("a Stripe webhook signing secret", re.compile(r"whsec_[0-9a-zA-Z+/=]{24,}")),
    ("a Shopify access token", re.compile(r"shp(?:at|ca|pa|ss)_[0-9a-fA-F]{32}")),
    ("a HashiCorp Vault token", re.compile(r"\bhv[sb]\.[A-Za-z0-9_-]{24,}")),
    ("a DigitalOcean token", re.compile(r"do[opr]_v1_[0-9a-f]{64}")),
    ("a Mapbox secret token", re.compile(r"\bsk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{10,}")),
    ("a Slack app token", re.compile(r"xapp-\d-[A-Z0-9]+-\d+-[a-f0-9]{32,}")),
    ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{34,}")),
    ("a Datadog or New Relic key", re.compile(r"\bNRAK-[A-Z0-9]{27}\b")),
)

# Formats that are public by design and that the detectors above would otherwise flag (Mapbox's
# public tokens decode like a JWT): Stripe publishable keys, Mapbox public tokens, PostHog project
# keys. Their secret siblings (sk_live_, sk.eyJ, phx_) are still caught.
PUBLIC_BY_DESIGN = re.compile(r"^(?:pk_(?:live|test)_[0-9A-Za-z]{10,}|pk\.eyJ[A-Za-z0-9_.-]+|phc_[A-Za-z0-9]{20,})$")

# PrivateKeyDetector lists fixed headers and misses PKCS#8 "ENCRYPTED PRIVATE KEY" and other
# variants; any PEM header naming a private key is one.
PEM_PRIVATE = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
# A PEM file is often base64-encoded once more to fit on one line; "LS0tLS1CRUdJTi" is "-----BEGIN".
BASE64_PEM_PREFIX = "LS0tLS1CRUdJTi"

# A template or placeholder filled in elsewhere (`${DB_PASSWORD}`, `{{password}}`, `<password>`,
# `{password}`, `%(password)s`, `$DB_PASSWORD`, `****`) is not a literal credential.
PLACEHOLDER = re.compile(
    r"^(?:\$\{[^}]*\}|\{[A-Za-z_][A-Za-z0-9_.]*\}|\{\{[^}]*\}\}|<[^>]*>|%\([^)]*\)s|\$[A-Za-z_][A-Za-z0-9_]*|\*+)$"
)
ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(?:\d{12})?:\S+$")
# CloudFormation dynamic references: `ssm` reads a plain String parameter; `secretsmanager` and
# `ssm-secure` resolve a secret's value into the template, i.e. into the function's configuration.
DYNAMIC_REFERENCE = re.compile(r"^\{\{resolve:(secretsmanager|ssm|ssm-secure):\S+\}\}$")
# A Secrets Manager name or SSM parameter path: slash-separated segments of name characters
# (whether it reads as words is checked separately, so that base64 containing "/" is not one).
PATH_LIKE = re.compile(r"^/?[A-Za-z0-9_.+=@-]+(?:/[A-Za-z0-9_.+=@-]+)*/?$")
# A Secrets Manager secret name (names allow letters, digits and /_+=.@-; secrets that AWS services
# manage are named like rds!db-<uuid>).
NAME_LIKE = re.compile(r"^[A-Za-z0-9/_+=.@!-]{1,512}$")
URL = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$", re.IGNORECASE)
NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
DURATION = re.compile(
    r"^(?:\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w|sec|secs|seconds?|mins?|minutes?|hours?|days?|weeks?)|P(?:T?\d+[YMWDHS])+)$",
    re.IGNORECASE,
)
BOOLEAN = frozenset({"true", "false", "yes", "no", "on", "off", "enabled", "disabled", "none", "null", "nil"})
# Only X-* and the usual auth header names: a general "Word-Word" pattern would also pass
# passphrases such as "Correct-Horse-Battery".
HEADER_NAME = re.compile(r"^(?:X-[A-Za-z0-9-]+|(?:Proxy-)?Authorization|Cookie|Api-Key|Api-Token|Auth-Token)$")
HEX = re.compile(r"^[0-9a-fA-F]+$")
BASE32 = re.compile(r"^[A-Z2-7]{16,}=*$")
# IAM unique IDs (users AIDA, roles AROA, instance profiles AIPA, policies ANPA/ANVA, groups AGPA,
# certificates ASCA) show up in resource policies and logs; they identify, they do not authenticate.
IAM_UNIQUE_ID = re.compile(r"^(?:AIDA|AROA|AIPA|ANPA|ANVA|AGPA|ASCA)[A-Z0-9]{12,}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
# Typed object ids: a short lowercase type word, a separator and an id (ami-0abc..., sg-..., price_1N...,
# acct_..., us-east-1_AbCdEf for Cognito pools). Secret prefixes (sk_, rk_, ghp_, ...) are caught by
# the detectors before this rule is reached; type words that name a secret (Mailgun's key-...) are not ids.
TYPED_ID = re.compile(
    r"^(?!(?:key|secret|token|pat|sk|rk|api|auth|pass|pwd|priv)[-_])[a-z]{1,12}(?:-[a-z]+-\d)?[-_][A-Za-z0-9]{6,40}$"
)
# DNS names: lowercase labels with at least one dot (hostnames, Google OAuth client ids).
HOSTNAME = re.compile(r"^(?=.{4,253}$)[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)+$")
# Key fingerprints: SHA256:<base64> (OpenSSH), colon-separated hex (MD5, SHA-1 certificates).
FINGERPRINT = re.compile(r"^(?:(?:SHA256|SHA1|MD5):[A-Za-z0-9+/=]{20,}|[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){15,})$")
BASE64_CHARS = re.compile(r"^[A-Za-z0-9+/_=-]+$")
AWS_SECRET_KEY_SHAPE = re.compile(r"^[A-Za-z0-9/+]{40}$")
# Hex lengths of md5, sha1, sha224, sha256, sha384, sha512: public digests (commit SHAs, artifact
# hashes), not secrets, unless the key names key material or a secret.
DIGEST_HEX_LENGTHS = frozenset({32, 40, 56, 64, 96, 128})
# Random bytes worth calling key material: 16 bytes or more (128-bit keys), hex or base64.
MIN_KEY_HEX = 32
MIN_KEY_BASE64 = 22

# A token "reads as a word" (and so carries little randomness) if it is short, a lower/upper/
# Capitalised/camelCase word optionally followed by digits, digits with a short unit, or hex (ids,
# commit SHAs inside image tags).
WORD = re.compile(
    r"^(?:[a-z]+|[A-Z]+|(?:[A-Z][a-z]+)+|[a-z]+(?:[A-Z][a-z]+)+)\d*$|^\d+[a-z]{0,3}$|^[0-9a-f]+$|^[0-9A-F]+$"
)
MIN_ENTROPY_LENGTH = 20


def credential_format(key: str, text: str, guess: bool = True) -> str | None:
    """What known credential format the value has ("an AWS access key ID", ...), whatever its key.
    With `guess`, a prefix-less 40-character random value counts as an AWS secret access key (off
    under keys that name an identifier or a public value, such as RECAPTCHA_SITE_KEY)."""
    if any(True for _ in AWS_KEYS.analyze_string(text)):
        return "an AWS access key ID"
    # AWSKeyDetector's second pattern reads a 40-character secret key next to an "aws ... key" name,
    # so it is given the variable as a source line.
    if any(True for _ in AWS_KEYS.analyze_string(f'{key}="{text}"')) or (guess and _looks_like_aws_secret_key(text)):
        return "an AWS secret access key"
    for label, detector in VALUE_DETECTORS:
        if any(True for _ in detector.analyze_string(text)):
            return label
    for label, pattern in EXTRA_TOKENS:
        if pattern.search(text):
            return label
    if PEM_PRIVATE.search(text):
        return "a PEM private key"
    if text.startswith(BASE64_PEM_PREFIX) and PEM_PRIVATE.search(b64decode(text)):
        return "a base64-encoded PEM private key"
    if len(text) >= 64 and base64_private_key(text):
        return "a DER private key in base64"
    return None


def credential_in_name(key: str) -> str | None:
    """A credential pasted as the variable's name (only the exact-format detectors: names are short)."""
    if any(True for _ in AWS_KEYS.analyze_string(key)):
        return "an AWS access key ID"
    for label, detector in VALUE_DETECTORS:
        if any(True for _ in detector.analyze_string(key)):
            return label
    return None


def is_public_by_design(text: str) -> bool:
    """Publishable keys, and public data by its structure: public keys and certificates (PEM, DER
    in base64, SSH, JWK), KMS ciphertext (public_values)."""
    return bool(PUBLIC_BY_DESIGN.match(text)) or public_structure(text) is not None


def b64decode(text: str) -> str:
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
        and char_classes(text) >= 3
        and BASE64_ENTROPY.calculate_shannon_entropy(text) > base64_limit(len(text))
    )


def reads_as_words(text: str) -> bool:
    tokens = [t for t in re.split(r"[^A-Za-z0-9]+", text) if t]
    return all(len(t) <= 4 or WORD.match(t) for t in tokens)


def is_reference(text: str) -> bool:
    """A secret's ARN, name or parameter path (prod/db/password, /app/db/password), a file path, or a
    placeholder: something that points at a secret rather than holds it."""
    if PLACEHOLDER.match(text) or ARN.match(text):
        return True
    reference = DYNAMIC_REFERENCE.match(text)
    if reference is not None:
        return reference.group(1) == "ssm"
    return "/" in text and bool(PATH_LIKE.match(text)) and reads_as_words(text)


def is_secret_name(text: str) -> bool:
    """Shaped like a Secrets Manager secret name or SSM parameter name (no spaces, name characters)."""
    return bool(NAME_LIKE.match(text))


def is_plain_setting(text: str) -> bool:
    """Numbers, durations, booleans and header names."""
    return bool(NUMBER.match(text) or DURATION.match(text) or text.lower() in BOOLEAN or HEADER_NAME.match(text))


def is_public_identifier(text: str) -> bool:
    """UUIDs, IAM unique IDs, digests and fingerprints, typed object ids, DNS names and generated
    physical names: values that identify and do not authenticate (judged under keys that name no
    secret and no key material)."""
    if UUID.match(text) or IAM_UNIQUE_ID.match(text) or FINGERPRINT.match(text) or HOSTNAME.match(text):
        return True
    algo, _, digest = text.partition(":")
    if digest and algo.lower() in {"sha1", "sha256", "sha384", "sha512", "md5"} and HEX.match(digest):
        return True
    if is_digest(text):
        return True
    return bool(TYPED_ID.match(text)) or is_generated_name(text)


def is_generated_name(text: str) -> bool:
    """Physical names generated by Pulumi or CloudFormation: words joined by - _ or . with one short
    random part (rustlambda-dev-items-3f2a1b7, MyStack-MyFunction-AbCdEfGh1234)."""
    parts = [p for p in re.split(r"[-_.]", text) if p]
    if len(parts) < 2 or not parts[0].isalpha() or len(parts[0]) < 3:
        return False
    random_parts = [p for p in parts if not WORD.match(p)]
    return len(random_parts) <= 1 and all(len(p) <= 16 and p.isalnum() for p in random_parts)


def is_random_hex(text: str, min_length: int = MIN_KEY_HEX) -> bool:
    return (
        len(text) >= min_length
        and bool(HEX.match(text))
        and HEX_ENTROPY.calculate_shannon_entropy(text) > HEX_ENTROPY.entropy_limit
    )


def is_key_material(text: str) -> bool:
    """Generated key bytes as hex (`openssl rand -hex 32`) or base64 (`openssl rand -base64 32`)."""
    if is_random_hex(text):
        return True
    return (
        len(text) >= MIN_KEY_BASE64
        and bool(BASE64_CHARS.match(text))
        and not HEX.match(text)
        and not reads_as_words(text)
        and char_classes(text) >= 2
        and BASE64_ENTROPY.calculate_shannon_entropy(text) > base64_limit(len(text))
    )


def is_otp_seed(text: str) -> bool:
    """A base32 TOTP/HOTP seed (RFC 4648 alphabet, 16 characters or more)."""
    return bool(BASE32.match(text)) and not reads_as_words(text.rstrip("="))


def char_classes(text: str) -> int:
    return sum(
        (
            any(c.islower() for c in text),
            any(c.isupper() for c in text),
            any(c.isdigit() for c in text),
            any(not c.isalnum() for c in text),
        )
    )


def base64_limit(length: int) -> float:
    """detect-secrets' 4.5 bits/char limit suits long strings; a random string of n characters cannot
    exceed log2(n) bits/char (4.32 at n=20), so shorter values get log2(n) - 0.8, which random
    base64 strings of 20-40 characters exceed about 99% of the time."""
    return min(BASE64_ENTROPY.entropy_limit, math.log2(length) - 0.8)


def high_entropy(text: str) -> str | None:
    """ "a high-entropy hex string" / "a high-entropy string" for a value that looks generated."""
    if len(text) < MIN_ENTROPY_LENGTH or any(c.isspace() for c in text):
        return None
    if HEX.match(text):
        if len(text) >= MIN_KEY_HEX and is_random_hex(text):
            return "a high-entropy hex string"
        return None
    if reads_as_words(text) or char_classes(text) < 2:
        return None
    measure = (
        BASE64_ENTROPY.calculate_shannon_entropy
        if BASE64_CHARS.match(text)
        else PRINTABLE_ENTROPY.calculate_shannon_entropy
    )
    if measure(text) > base64_limit(len(text)):
        return "a high-entropy string"
    return None
