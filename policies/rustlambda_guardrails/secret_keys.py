"""What a setting's name says about its value: a secret (DB_PASSWORD, dbPassWord, PGPASSWORD, PW,
CREDS), key material (SIGNING_KEY, OTP_SEED), something public by design (STRIPE_PUBLISHABLE_KEY,
RECAPTCHA_SITE_KEY), an identifier or a reference (COGNITO_CLIENT_ID, SECRET_ARN, KEY_FINGERPRINT),
a hash (CODE_SHA256), or a setting about a secret (TOKEN_TTL_SECONDS, PASSWORD_MIN_LENGTH).

Pure: names in, answers out. Words are split at underscores, dashes, dots and case changes; adjacent
words that spell a compound (Pass+Word, Api+Key) are joined, so camelCase and glued spellings read
the same as SNAKE_CASE ones.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "is_secret_sounding",
    "key_words",
    "names_hash",
    "names_identifier",
    "names_key_material",
    "names_otp_seed",
    "names_public_value",
    "names_reference",
]

# Nouns that name a secret: detect-secrets' KeywordDetector list (password, passwd, pwd, secret,
# api_key, private_key, ...), plus token, credentials and their abbreviations.
SECRET_NOUNS = frozenset(
    {
        "password", "passwd", "pwd", "pw", "pass", "passphrase", "passcode", "pin", "secret", "secrets", "token",
        "credential", "credentials", "creds", "cred", "apikey", "privatekey", "secretkey", "accesskey", "authkey",
        "contrasena", "pat", "pswd", "pword", "passw", "privkey", "bearer", "signingsecret",
        # The word in other languages teams name settings in (German, Portuguese, Dutch, Polish, Italian,
        # Finnish, Swedish, Norwegian, Danish, Turkish, Czech, Hungarian; French's abbreviation).
        "passwort", "kennwort", "senha", "wachtwoord", "haslo", "parola", "salasana", "losenord", "passord",
        "adgangskode", "sifre", "heslo", "jelszo", "mdp",
    }
)  # fmt: skip
# Glued spellings (PGPASSWORD, AUTHTOKEN, XAPIKEY, MYSQLPWD, DBPASSWORT) end with one of these.
SECRET_SUFFIXES = (
    "password", "passwd", "secret", "token", "apikey", "privatekey", "secretkey", "passphrase", "pwd", "passwort",
    "kennwort", "wachtwoord",
)  # fmt: skip
# Secret nouns written as several words (French "mot de passe", Spanish and Catalan "contraseña").
SPLIT_SECRET_NOUNS = (("mot", "de", "passe"), ("contra", "sena"), ("contra", "senya"))
# Compounds written as two words in camelCase or snake_case (PassWord, Api_Key).
COMPOUNDS = frozenset(
    {"password", "passphrase", "passcode", "apikey", "privatekey", "secretkey", "accesskey", "authkey", "sitekey",
     "publickey", "pubkey", "clientid", "keyid"}
)  # fmt: skip
# "<word> KEY" names a secret for these words (API_KEY, SIGNING_KEY); a bare KEY does not
# (PARTITION_KEY, S3_KEY, CACHE_KEY are settings; their values are judged as possible key material).
KEY_PREFIXES = frozenset(
    {
        "api", "auth", "access", "private", "secret", "signing", "encryption", "master", "client", "service",
        "account", "session", "hmac", "license", "webhook", "db", "database", "ssh", "gpg", "pgp", "jwt", "shared",
        "app", "consumer", "aes", "enc", "crypt", "cipher", "cookie", "csrf", "otp", "totp", "hotp", "mfa", "root",
        "admin", "deploy", "bot", "write", "ingest", "sign", "verification",
    }
)  # fmt: skip
# Words after the secret noun that keep the key naming the secret itself (SECRET_KEY_BASE,
# DB_PASSWORD_2, API_KEY_PRIMARY). Anything else after it (TTL, SECONDS, LENGTH, HEADER, ARN, NAME,
# ID, PATH, ...) makes the key describe the secret rather than hold it.
KEY_QUALIFIERS = frozenset(
    {
        "base", "value", "val", "raw", "plain", "plaintext", "text", "string", "str", "b64", "base64", "hex", "pem",
        "der", "data", "content", "contents", "default", "old", "new", "current", "previous", "prev", "next",
        "primary", "secondary", "main", "backup", "live", "test", "prod", "dev", "staging", "material",
    }
)  # fmt: skip
# Words before KEY or TOKEN that make it public by design: publishable keys, site keys (reCAPTCHA,
# hCaptcha, Turnstile), public keys.
PUBLIC_QUALIFIERS = frozenset(
    {"public", "publishable", "pub", "site", "sitekey", "publickey", "pubkey", "search", "browser"}
)
# Last words of a key that holds an identifier, a name or an address rather than a credential.
IDENTIFIER_NOUNS = frozenset(
    {
        "id", "ids", "sid", "clientid", "keyid", "kid", "arn", "arns", "name", "names", "url", "urls", "uri",
        "endpoint", "host", "hostname", "domain", "region", "bucket", "table", "queue", "topic", "alias", "path",
        "prefix", "suffix", "fingerprint", "thumbprint", "audience", "aud", "issuer", "iss", "account", "username",
        "user",
        "email", "dsn", "version", "env", "stage", "zone", "sku", "slug", "handle", "label", "tag", "tags",
        "client", "pool", "tenant", "project", "org", "organization", "workspace",
    }
)  # fmt: skip
# Words of a key that holds a reference to a secret (its ARN, name, id or parameter path).
REFERENCE_NOUNS = frozenset({"arn", "name", "id", "path", "parameter", "param", "ref", "reference", "key"})
HASH_WORDS = frozenset(
    {"sha", "sha1", "sha256", "sha512", "md5", "hash", "digest", "checksum", "etag", "commit", "revision", "rev",
     "fingerprint", "thumbprint", "integrity", "crc"}
)  # fmt: skip
# Key material: values of these names are generated bytes when they look random (SIGNING_SALT,
# MANIFEST_KEY, OTP_SEED).
MATERIAL_WORDS = frozenset({"key", "seed", "salt", "pepper", "hmac", "kek", "dek"})
OTP_WORDS = frozenset({"otp", "totp", "hotp", "mfa", "2fa", "tfa"})

KEY_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


@lru_cache(maxsize=4096)
def key_words(key: str) -> tuple[str, ...]:
    """DB_PassWord -> ('db', 'password'); APIKey -> ('apikey',); TOTP_2FA_SEED -> ('totp', '2', 'fa', 'seed')."""
    words = [w.lower() for w in KEY_WORD.findall(key)]
    joined: list[str] = []
    i = 0
    while i < len(words):
        if i + 1 < len(words) and words[i] + words[i + 1] in COMPOUNDS:
            joined.append(words[i] + words[i + 1])
            i += 2
        else:
            joined.append(words[i])
            i += 1
    return tuple(joined)


def _is_secret_noun(words: tuple[str, ...], i: int) -> bool:
    word = words[i]
    if any(words[max(0, i - len(split) + 1) : i + 1] == split for split in SPLIT_SECRET_NOUNS):
        return True
    if word in {"key", "token"} and i > 0 and words[i - 1] in PUBLIC_QUALIFIERS:
        return False
    if word in SECRET_NOUNS or word.endswith(SECRET_SUFFIXES):
        return True
    return word == "key" and i > 0 and words[i - 1] in KEY_PREFIXES


@lru_cache(maxsize=4096)
def is_secret_sounding(key: str) -> bool:
    """True when the key names a secret (DB_PASSWORD, SECRET_KEY_BASE, dbPassWord, PGPASSWORD, PW),
    false when it names a setting about one (TOKEN_TTL_SECONDS, SIGNING_KEY_SECRET_ARN), a public
    value (STRIPE_PUBLISHABLE_KEY) or nothing secret."""
    words = key_words(key)
    last_noun = max((i for i in range(len(words)) if _is_secret_noun(words, i)), default=-1)
    if last_noun < 0:
        return False
    return all(w in KEY_QUALIFIERS or w.isdigit() for w in words[last_noun + 1 :])


def names_public_value(key: str) -> bool:
    """RECAPTCHA_SITE_KEY, STRIPE_PUBLISHABLE_KEY, JWT_PUBLIC_KEY, MAPBOX_PUBLIC_TOKEN."""
    words = key_words(key)
    return any(w in PUBLIC_QUALIFIERS for w in words) and not is_secret_sounding(key)


def names_identifier(key: str) -> bool:
    """COGNITO_CLIENT_ID, KMS_KEY_ID, QUEUE_URL, SIGNING_KEY_FINGERPRINT, DB_USER."""
    words = key_words(key)
    return bool(words) and words[-1] in IDENTIFIER_NOUNS


def names_reference(key: str) -> bool:
    """DB_SECRET_ARN, SIGNING_SECRET_NAME, SECRET_ID, DB_PARAMETER: a key meant to carry a reference."""
    words = key_words(key)
    return bool(words) and words[-1] in REFERENCE_NOUNS - {"key"}


def names_hash(key: str) -> bool:
    """CODE_SHA256, GIT_COMMIT, IMAGE_DIGEST."""
    return any(w in HASH_WORDS for w in key_words(key))


def names_key_material(key: str) -> bool:
    """MANIFEST_KEY, SIGNING_SALT, OTP_SEED, HMAC: a name under which random bytes are key material."""
    return any(w in MATERIAL_WORDS for w in key_words(key)) and not names_hash(key)


def names_otp_seed(key: str) -> bool:
    """TOTP_SEED, MFA_SECRET, OTP_KEY."""
    return any(w in OTP_WORDS or w.startswith(("totp", "hotp")) for w in key_words(key))
