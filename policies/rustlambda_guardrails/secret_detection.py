"""Decide whether one setting (an env var, a command-line argument, a field of a config blob) holds a
plaintext credential.

Pure (no Pulumi imports), so that it can be tested on its own and reused by any policy that looks at
key/value settings. `find_secret(key, value)` returns a `Finding` whose reason says what was
detected and what to set instead, or None.

How a value is judged, in order (the first rule that decides wins):

1. Empty values, Pulumi's unknown-value sentinel and ARNs are never findings. CloudFormation dynamic
   references to Secrets Manager or SecureString parameters are: CloudFormation resolves them into
   the function's configuration in plain text (`{{resolve:ssm:...}}`, a plain parameter, passes).
2. Values public by design pass: Stripe publishable keys, Mapbox public tokens, PostHog project
   keys, PEM documents holding only public keys or certificates.
3. Known credential formats, whatever the key (secret_values.credential_format: AWS keys, private
   keys, JWTs, GitHub/GitLab/Slack/Stripe/... tokens).
4. Containers are taken apart and each piece judged like a setting of its own: URLs (a password in
   the userinfo, credentials in query parameters or the fragment, random tokens in the path as in
   webhook URLs), `Authorization` header values, JSON objects and arrays (JSON Web Keys are
   judged by their private members), YAML documents, dotenv blobs and `k=v;k=v` connection strings,
   and command lines (`--token=...`, `--password ...`, `-Dapi.key=...`).
5. References and plain settings pass: secret names and parameter paths, placeholders, URLs without
   credentials, durations, booleans, header names; numbers too, except under a key that names a
   secret (a numeric password or PIN is still a password).
6. A key that names a secret (PASSWORD, PassWord, PW, PWD, CREDS, SECRET, TOKEN, API_KEY, ...)
   holding any other literal is a finding, however short or low-entropy the value. A key that names
   a setting about a secret (TOKEN_TTL_SECONDS, SIGNING_KEY_SECRET_ARN) or a public value
   (RECAPTCHA_SITE_KEY, STRIPE_PUBLISHABLE_KEY) does not name a secret.
7. Keys that name an identifier (CLIENT_ID, KEY_FINGERPRINT, QUEUE_URL, DB_USER) or a public value
   are judged by rules 1-5 only.
8. Keys that name key material (KEY, SEED, SALT, HMAC) or an OTP seed holding random bytes (hex of
   16 bytes or more, base64, base32) are findings, even at a digest's length.
9. Under any other key, public identifiers pass (UUIDs, IAM unique IDs, digests, fingerprints, typed
   object ids such as ami-... or price_..., DNS names, generated physical names), and other values
   of 20+ characters that do not read as words are checked with detect-secrets' Shannon entropy.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml

from .public_values import decode_base64
from .secret_keys import (
    is_secret_sounding,
    names_hash,
    names_identifier,
    names_key_material,
    names_otp_seed,
    names_public_value,
)
from .secret_values import (
    ARN,
    DIGEST_HEX_LENGTHS,
    DYNAMIC_REFERENCE,
    HEX,
    NUMBER,
    PLACEHOLDER,
    STORE,
    UNKNOWN,
    URL,
    USE_ROLE,
    UUID,
    char_classes,
    credential_format,
    credential_in_name,
    high_entropy,
    is_generated_name,
    is_key_material,
    is_otp_seed,
    is_plain_setting,
    is_public_by_design,
    is_public_identifier,
    is_random_hex,
    is_reference,
    reads_as_words,
)

__all__ = ["STORE", "Finding", "cannot_hold_secret", "find_secret", "is_secret_sounding"]


@dataclass(frozen=True)
class Finding:
    """A setting that holds a plaintext credential, and why we think so."""

    key: str
    reason: str


STRIP_PASSWORD = (
    "remove the credential from it, store the credential in Secrets Manager and pass its ARN in another env var instead"
)
# Containers inside containers (JSON in YAML in an env var) are followed this deep.
MAX_DEPTH = 3

# Connection strings (ADO.NET, JDBC, Azure Service Bus): password-like keys in key=value lists.
CONN_STRING_SECRET = re.compile(
    r"(?:^|[;\s])(?:password|pwd|accountkey|sharedaccesskey|sharedsecret)\s*=\s*([^;\s]+)",
    re.IGNORECASE,
)
# Oracle's EZConnect and `user:password@host` without a scheme (`scott/tiger@db:1521/orcl`).
USER_PASSWORD_AT_HOST = re.compile(r"^[A-Za-z0-9_.$#-]{1,64}[/:]([^\s@/:]{3,})@[A-Za-z0-9.-]+(?::\d+)?(?:/\S*)?$")
# JDBC URLs put a subprotocol before the URL (`jdbc:postgresql://...`, `jdbc:oracle:thin:@...`).
JDBC_PREFIX = re.compile(r"^jdbc:(?:[a-z0-9]+:)*(?=[a-z][a-z0-9+.-]*://|[^/]*@)", re.IGNORECASE)
# Text a base64, hex or percent encoding may hide: worth decoding when it has a container's marks.
STRUCTURED = re.compile(r"[=:{]")
# key=value pairs in dotenv blobs, query-like strings and libpq DSNs (`host=db password=...`).
PAIR = re.compile(
    r"""(?:^|[;&,\s])(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*("[^"]*"|'[^']*'|[^;&,\s]+)""", re.MULTILINE
)
# "Bearer <token>" / "Basic <base64>", with or without the header name: a whole Authorization
# header value has a space and so escapes every single-token detector.
AUTH_HEADER = re.compile(
    r"^(?:(?:Proxy-)?Authorization:\s*)?(?:Bearer|Basic|Token|Digest|Bot|ApiKey|SSWS|Key)\s+\S{8,}$", re.IGNORECASE
)
# Query parameters that carry a credential whatever its shape (signatures, tokens).
CREDENTIAL_PARAMETERS = frozenset(
    {"sig", "signature", "x-amz-signature", "x-amz-security-token", "x-goog-signature", "x-goog-credential",
     "access_token", "id_token", "refresh_token", "client_secret", "apikey", "api_key", "token", "secret",
     "password", "passwd", "pwd", "auth", "authorization"}
)  # fmt: skip
# Query parameters that carry a credential when the value looks generated (Azure Functions' code=,
# Google's key=); `?code=200` or `?key=uploads/a.json` are settings.
GENERIC_PARAMETERS = frozenset({"code", "key", "k", "t", "s", "hash", "hmac", "secret_key", "access_key"})
# Path segments of at least this many characters are judged as possible tokens (webhook URLs).
MIN_PATH_TOKEN = 20
HOOK_WORDS = ("hook", "webhook", "callback", "trigger", "incoming", "notify", "token", "secret", "key")
# JSON Web Key members that hold private key material (RFC 7518 section 6).
JWK_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k", "oth")


def find_secret(key: str, value: str) -> Finding | None:
    """Return a Finding if the setting `key=value` holds a plaintext credential, else None."""
    name_shape = credential_in_name(key)
    if name_shape is not None:
        return Finding(key, f"the name looks like {name_shape}: rename the variable and {STORE}")
    reason = judge(key, value.strip(), 0)
    return None if reason is None else Finding(key, reason)


def judge(key: str, text: str, depth: int) -> str | None:
    """The reason `key=text` holds a credential, or None (rules 1-9 of the module docstring)."""
    if not text or text == UNKNOWN or ARN.match(text):
        return None
    reference = DYNAMIC_REFERENCE.match(text)
    if reference is not None:
        if reference.group(1) == "ssm":
            return None
        return (
            f"the value is a CloudFormation dynamic reference to {reference.group(1)}, which CloudFormation resolves "
            "into plain text in the function's configuration: pass the secret's ARN in the env var instead and read "
            "the value at runtime"
        )
    if is_public_by_design(text):
        return None
    known = credential_format(key, text, guess=not (names_public_value(key) or names_identifier(key)))
    if known is not None:
        return f"the value looks like {known}: {USE_ROLE if known.startswith('an AWS') else STORE}"
    if depth < MAX_DEPTH:
        nested = _container_reason(key, text, depth + 1)
        if nested is not None:
            return nested
    if is_reference(text) or URL.match(text):
        return None
    secret_key = is_secret_sounding(key)
    if is_plain_setting(text):
        if secret_key and NUMBER.match(text):
            return f"the name marks it as a secret and the value is a literal number (a password or PIN): {STORE}"
        return None
    if secret_key:
        return f"the name marks it as a secret and the value is a literal, not a reference: {STORE}"
    if names_public_value(key) or names_identifier(key):
        return None
    if names_otp_seed(key) and (is_otp_seed(text) or is_key_material(text)):
        return f"the name marks it as a one-time-password seed and the value is a literal seed: {STORE}"
    if names_key_material(key) and is_key_material(text):
        return f"the name marks it as key material and the value is random bytes (hex or base64): {STORE}"
    if names_hash(key) or is_public_identifier(text):
        return None
    entropy = high_entropy(text)
    if entropy is not None:
        return f"the value is {entropy} that looks like a generated secret: {STORE}"
    return None


# --- containers -----------------------------------------------------------------------------------


def _container_reason(key: str, text: str, depth: int) -> str | None:
    jdbc = JDBC_PREFIX.match(text)
    if jdbc is not None:
        text = text[jdbc.end() :]
    if URL.match(text):
        return _url_reason(text, depth)
    at_host = USER_PASSWORD_AT_HOST.match(text)
    if at_host is not None and not PLACEHOLDER.match(at_host.group(1)):
        return f"the value is a connection string with an embedded password (user/password@host): {STRIP_PASSWORD}"
    if AUTH_HEADER.match(text):
        return f"the value is an HTTP Authorization header with credentials: {STORE}"
    if text[:1] in "[{":
        try:
            document: object = json.loads(text)
        except ValueError:
            document = None
        if isinstance(document, dict | list):
            path = _field_with_secret(key, document, depth)
            return None if path is None else f"the value is JSON with a plaintext credential in {path}: {STORE}"
    conn = CONN_STRING_SECRET.search(text)
    if conn is not None and not PLACEHOLDER.match(conn.group(1)):
        return f"the value is a connection string with an embedded password or key: {STRIP_PASSWORD}"
    if "\n" in text or ": " in text:
        path = _yaml_field_with_secret(key, text, depth)
        if path is not None:
            return f"the value is a YAML document with a plaintext credential in {path}: {STORE}"
    if "=" in text:
        name = _pair_with_secret(text, depth)
        if name is not None:
            return f"the value is a list of settings with a plaintext credential in {name!r}: {STORE}"
    if text.startswith("-") or " -" in text:
        flag = _argument_with_secret(text, depth)
        if flag is not None:
            return f"the value is a command line with a plaintext credential in {flag}: {STORE}"
    return _encoded_reason(key, text, depth)


def _encoded_reason(key: str, text: str, depth: int) -> str | None:
    """A credential under one layer of base64, hex or percent encoding (`user:password` in base64,
    a JSON document in base64, `password%3D...`)."""
    for encoding, decoded in _decodings(text):
        if decoded == text or not STRUCTURED.search(decoded):
            continue
        if BASIC_CREDENTIALS.match(decoded) and not PLACEHOLDER.match(decoded.partition(":")[2]):
            return f"the value is {encoding} of user:password (HTTP Basic credentials): {STORE}"
        reason = judge(key, decoded, depth + 1)
        if reason is not None:
            return f"the value is {encoding} of a credential ({reason.split(':')[0].removeprefix('the value is ')})" + (
                f": {STORE}"
            )
    return None


# `user:password` as HTTP Basic sends it (base64 of it is a Basic credential).
BASIC_CREDENTIALS = re.compile(r"^[^\s:/@.]{1,64}:(?!\d+$)[^\s:]{3,}$")


def _decodings(text: str) -> Iterator[tuple[str, str]]:
    if "%" in text:
        yield "percent-encoding", unquote(text)
    if HEX.match(text) and len(text) % 2 == 0 and len(text) >= 16:
        decoded = bytes.fromhex(text).decode("utf-8", errors="replace")
        if decoded.isprintable():
            yield "hex", decoded
    if len(text) >= 12 and BASE64_TEXT.match(text) and not HEX.match(text):
        data = decode_base64(text)
        if data is not None:
            decoded = data.decode("utf-8", errors="replace")
            if "\ufffd" not in decoded and (decoded.isprintable() or decoded.strip().isprintable()):
                yield "base64", decoded.strip()


def cannot_hold_secret(value: str) -> bool:
    """Whether a value, by its shape, cannot be a generated or held secret: empty, a number, boolean
    or duration, an ARN, a host name or e-mail address, a URL without credentials, a name or path
    that reads as words (generated physical names included), an id, public data by its structure
    (public keys, certificates, fingerprints, ciphertext)."""
    text = value.strip()
    if not text or is_plain_setting(text) or ARN.match(text) or is_public_by_design(text):
        return True
    if URL.match(text):
        return _url_reason(text, 0) is None
    if EMAIL.match(text) or is_reference(text) or is_public_identifier(text):
        return True
    segments = [s for s in re.split(r"[/:]", text) if s]
    return bool(segments) and all(reads_as_words(s) or is_generated_name(s) or NUMBER.match(s) for s in segments)


EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
BASE64_TEXT = re.compile(r"^[A-Za-z0-9+/_-]+={0,2}$")


def _url_reason(text: str, depth: int) -> str | None:
    try:
        parts = urlsplit(text)
        password = parts.password
    except ValueError:
        return None
    if password and not PLACEHOLDER.match(password):
        return f"the value is a URL with an embedded password: {STRIP_PASSWORD}"
    for where, query in (("query string", parts.query), ("fragment", parts.fragment)):
        for name, value in parse_qsl(query, keep_blank_values=False):
            if _parameter_holds_credential(name, value.strip(), depth):
                return f"the value is a URL with a credential in its {where} (parameter {name!r}): {STRIP_PASSWORD}"
    segments = [s for s in parts.path.split("/") if s]
    hook = any(word in text.lower() for word in HOOK_WORDS)
    for segment in segments:
        if _path_token(segment, hook):
            return f"the value is a URL with a secret token in its path: {STRIP_PASSWORD}"
    return None


def _parameter_holds_credential(name: str, value: str, depth: int) -> bool:
    if not value or PLACEHOLDER.match(value):
        return False
    lowered = name.lower()
    if lowered in CREDENTIAL_PARAMETERS:
        return len(value) >= 4 and not value.isdigit() and _is_literal(value)
    if lowered in GENERIC_PARAMETERS:
        return len(value) >= 16 and not reads_as_words(value) and not UUID.match(value)
    return judge(name, value, depth) is not None


def _is_literal(value: str) -> bool:
    """A credential parameter's value is a literal unless it is a reference or a boolean."""
    return not is_reference(value) and value.lower() not in {"true", "false"}


def _path_token(segment: str, hook: bool) -> bool:
    """A path segment that is a generated token (webhook URLs: Discord, Teams, Zapier-like hooks)."""
    if len(segment) < MIN_PATH_TOKEN or UUID.match(segment) or "." in segment:
        return False
    if HEX.match(segment):
        return is_random_hex(segment) and (hook or len(segment) not in DIGEST_HEX_LENGTHS)
    if reads_as_words(segment) or char_classes(segment) < 2:
        return False
    return high_entropy(segment) is not None or (hook and is_key_material(segment))


def _walk(document: object, path: str = "") -> Iterator[tuple[str, str, object]]:
    """(path, key, value) of every scalar in a JSON/YAML document; list items take their parent's key."""
    pending: list[tuple[str, str, object]] = [(path, "", document)]
    while pending:
        where, key, node = pending.pop()
        if isinstance(node, dict):
            if "kty" in node and any(m in node for m in JWK_PRIVATE_MEMBERS):
                yield where, "private JSON Web Key", node
                continue
            if "kty" in node:
                continue  # a public JWK: n, e, x, y, x5c are public parameters
            pending.extend((f"{where}.{k}" if where else str(k), str(k), v) for k, v in node.items())
        elif isinstance(node, list):
            pending.extend((f"{where}[{i}]", key, v) for i, v in enumerate(node))
        else:
            yield where, key, node


def _field_with_secret(key: str, document: object, depth: int) -> str | None:
    for path, field_key, node in _walk(document):
        if isinstance(node, dict):
            return f'field "{path}" (a JSON Web Key with private parameters)' if path else "a private JSON Web Key"
        if isinstance(node, bool) or node is None:
            continue
        if isinstance(node, str | int | float) and judge(field_key or key, str(node), depth) is not None:
            return f'field "{path}"' if path else "an item"
    return None


def _yaml_field_with_secret(key: str, text: str, depth: int) -> str | None:
    try:
        document: Any = yaml.load(text, Loader=_LOADER)  # a safe loader (C or Python), see _LOADER
    except yaml.YAMLError:
        return None
    if not isinstance(document, dict | list):
        return None
    return _field_with_secret(key, document, depth)


# libyaml's safe loader where PyYAML was built with it (about 10x faster), else the Python one.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _pair_with_secret(text: str, depth: int) -> str | None:
    for match in PAIR.finditer(text):
        name, value = match.group(1), match.group(2).strip("\"'")
        if value and judge(name, value, depth) is not None:
            return name
    return None


def _argument_with_secret(text: str, depth: int) -> str | None:
    try:
        arguments = shlex.split(text)
    except ValueError:
        return None
    return argument_with_secret(arguments, depth)


def argument_with_secret(arguments: list[str], depth: int = 0) -> str | None:
    """Which argument of a command line carries a credential ("argument '--token'", "argument 3"):
    `--token=x`, `--password x`, `-Dapi.key=x`, `API_KEY=x`, or a credential-shaped argument."""
    for index, argument in enumerate(arguments):
        if "=" in argument and not URL.match(argument):
            flag, _, value = argument.partition("=")
            name = flag[2:] if flag.startswith("-D") else flag.lstrip("-")
            if name and judge(name, value, depth) is not None:
                return f"argument {flag!r}"
        elif argument.startswith("-") and index + 1 < len(arguments) and not arguments[index + 1].startswith("-"):
            name = argument.lstrip("-")
            if is_secret_sounding(name) and judge(name, arguments[index + 1], depth) is not None:
                return f"argument {argument!r}"
        elif judge("ARG", argument, depth) is not None and not argument.startswith("-"):
            return f"argument {index + 1}"
    return None
