"""find_secret over a corpus of env vars, each with its exact verdict.

Every credential-shaped value below is fake and assembled at run time (AWS's documented example
keys, seeded pseudo-random filler, PEM headers around junk), so that no committed line looks like a
real secret to a scanner.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import random
import string

import pytest
from rustlambda_guardrails.secret_detection import Finding, find_secret, is_secret_sounding

STORE = "store it in Secrets Manager and pass its ARN in the env var instead"
USE_ROLE = (
    "remove it and let the function use its execution role (or store it in Secrets Manager and pass its ARN in the "
    "env var instead)"
)
STRIP = (
    "remove the credential from it, store the credential in Secrets Manager and pass its ARN in another env var instead"
)

AWS_ID = "the value looks like an AWS access key ID: " + USE_ROLE
AWS_SECRET = "the value looks like an AWS secret access key: " + USE_ROLE
PEM = "the value looks like a PEM private key: " + STORE
PEM_B64 = "the value looks like a base64-encoded PEM private key: " + STORE
URL_PASSWORD = "the value is a URL with an embedded password: " + STRIP
URL_QUERY = "the value is a URL with a credential in its query string (parameter 'api_key'): " + STRIP
CONN_STRING = "the value is a connection string with an embedded password or key: " + STRIP
AUTH_HEADER = "the value is an HTTP Authorization header with credentials: " + STORE
KEYWORD = "the name marks it as a secret and the value is a literal, not a reference: " + STORE
ENTROPY = "the value is a high-entropy string that looks like a generated secret: " + STORE
HEX_ENTROPY = "the value is a high-entropy hex string that looks like a generated secret: " + STORE
NUMERIC = "the name marks it as a secret and the value is a literal number (a password or PIN): " + STORE
MATERIAL = "the name marks it as key material and the value is random bytes (hex or base64): " + STORE
OTP = "the name marks it as a one-time-password seed and the value is a literal seed: " + STORE


def looks_like(label: str) -> str:
    return f"the value looks like {label}: {STORE}"


def filler(seed: int, length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    """Deterministic random-looking characters (seeded, so every run sees the same corpus)."""
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(length))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# AWS's documented example credentials, split so that the literal never appears whole.
AWS_EXAMPLE_ID = "AKIA" + "IOSFODNN7EXAMPLE"
AWS_EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
DASHES = "-" * 5
PEM_RSA = f"{DASHES}BEGIN RSA PRIVATE KEY{DASHES}\n{filler(1, 64)}\n{DASHES}END RSA PRIVATE KEY{DASHES}\n"
PEM_ENCRYPTED = (
    f"{DASHES}BEGIN ENCRYPTED PRIVATE KEY{DASHES}\n{filler(2, 64)}\n{DASHES}END ENCRYPTED PRIVATE KEY{DASHES}"
)
PEM_CERT = f"{DASHES}BEGIN CERTIFICATE{DASHES}\n{filler(3, 64)}\n{DASHES}END CERTIFICATE{DASHES}"
JWT = ".".join(
    (b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()), b64url(b'{"sub":"test"}'), b64url(b"not-a-signature"))
)
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rustlambda-dev/manifest-signing-key-AbCdEf"
SHA256_HEX = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
SHA1_HEX = "0beec7b5ea3f0fdbc95d0dd47f3c5bc275da8a33"
MD5_HEX = "d3b07384d113edec49eaa6238ad5ff00"
UUID = "3f1c2e4a-9b7d-4c1e-8f2a-6d5b4c3a2e1f"
PLACEHOLDER_PASSWORD = "${DB_PASSWORD}"

CASES: list[tuple[str, str, str | None]] = [
    # The project's own settings (what the dev and prod stacks deploy today).
    ("RUST_LOG", "info", None),
    ("SECRET_TTL_SECONDS", "300", None),
    ("MANIFEST_PREFIX", "manifests/", None),
    ("RETENTION_DAYS", "30", None),
    ("CACHE_TTL_SECONDS", "60", None),
    ("ITEMS_TABLE", "rustlambda-dev-items", None),
    ("ORDERS_TABLE", "rustlambda-prod-orders", None),
    ("OUTPUT_BUCKET", "rustlambda-dev-manifests-20261127", None),
    ("SIGNING_KEY_SECRET_ARN", SECRET_ARN, None),
    # Credential-shaped values under innocent keys.
    ("CONFIG_VALUE", AWS_EXAMPLE_ID, AWS_ID),
    ("SETTING", AWS_EXAMPLE_SECRET, AWS_SECRET),
    ("AWS_SECRET_ACCESS_KEY", AWS_EXAMPLE_SECRET, AWS_SECRET),
    ("SIGNING_MATERIAL", PEM_RSA, PEM),
    ("SIGNING_MATERIAL", PEM_ENCRYPTED, PEM),
    ("SIGNING_MATERIAL", base64.b64encode(PEM_RSA.encode()).decode(), PEM_B64),
    ("SESSION", JWT, looks_like("a JSON Web Token")),
    ("BOT", "ghp_" + filler(4, 36), looks_like("a GitHub token")),
    (
        "BOT",
        "github_pat_" + filler(5, 82, string.ascii_letters + string.digits + "_"),
        looks_like("a GitHub fine-grained personal access token"),
    ),
    (
        "NOTIFY",
        "xoxb-" + "123456789012-1234567890123-" + filler(6, 24, string.ascii_lowercase + string.digits),
        looks_like("a Slack token or webhook URL"),
    ),
    (
        "NOTIFY_URL",
        "https://hooks.slack.com/services/T00000000/B00000000/" + filler(7, 24),
        looks_like("a Slack token or webhook URL"),
    ),
    ("PAYMENTS", "sk_" + "live_" + filler(8, 24), looks_like("a Stripe live API key")),
    ("MAIL", "SG." + filler(9, 22) + "." + filler(10, 43), looks_like("a SendGrid API key")),
    ("MAPS", "AIza" + filler(11, 35), looks_like("a Google API key")),
    (
        "AZURE_STORAGE",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey="
        + base64.b64encode(bytes(range(64))).decode()
        + ";EndpointSuffix=core.windows.net",
        looks_like("an Azure storage account key (AccountKey=...)"),
    ),
    ("DATABASE_URL", "postgres://app:" + "s3cr3t-pw" + "@db.internal:5432/app", URL_PASSWORD),
    ("DATABASE_URL", "postgres://app:" + "s3cr3t!" + "@db.internal:5432/app", URL_PASSWORD),
    ("MONGO_URI", "mongodb+srv://app:" + "pw" + "@cluster0.example.mongodb.net/app?retryWrites=true", URL_PASSWORD),
    ("REDIS_URL", "redis://:" + "hunter2" + "@cache.internal:6379/0", URL_PASSWORD),
    ("API_ENDPOINT", "https://api.example.com/v1?api_key=" + filler(12, 32), URL_QUERY),
    ("SQLSERVER", "Server=db;Database=app;User Id=app;Password=" + "Tr0ub4dor&3" + ";", CONN_STRING),
    ("UPSTREAM_AUTHORIZATION", "Bearer " + filler(13, 40), AUTH_HEADER),
    (
        "DB_CONFIG",
        json.dumps({"host": "db.internal", "auth": {"user": "app", "password": "hunter2"}}),
        'the value is JSON with a plaintext credential in field "auth.password": ' + STORE,
    ),
    ("CACHE_NAMESPACE", filler(14, 32), ENTROPY),
    ("SALT", filler(15, 24, string.ascii_letters + string.digits + "!#%&*+-.:;?@^~"), ENTROPY),
    ("BUILD_NONCE", filler(16, 48, "0123456789abcdef"), HEX_ENTROPY),
    # Secret-sounding keys holding literals, however plain.
    ("DB_PASSWORD", "hunter2", KEYWORD),
    ("PGPASSWORD", "changeme", KEYWORD),
    ("dbPassword", "correct horse battery staple", KEYWORD),
    ("DATADOG_API_KEY", MD5_HEX, KEYWORD),
    ("WEBHOOK_SECRET", UUID, KEYWORD),
    ("SECRET_KEY_BASE", SHA256_HEX + SHA256_HEX, KEYWORD),
    ("GITHUB_TOKEN", "abc", KEYWORD),
    ("DB_PASSWORD", "Correct-Horse-Battery", KEYWORD),
    # Secret-sounding words in keys of plain settings.
    ("TOKEN_TTL_SECONDS", "3600", None),
    ("PASSWORD_MIN_LENGTH", "12", None),
    ("AUTH_TOKEN_HEADER", "X-Api-Token", None),
    ("TOKEN_TYPE", "bearer", None),
    ("TOKEN_TIMEOUT", "30s", None),
    ("SECRET_ROTATION_ENABLED", "true", None),
    ("API_KEY_HEADER", "X-Api-Key", None),
    ("DB_PASSWORD_SECRET_ARN", SECRET_ARN, None),
    # References under secret-sounding keys.
    ("DB_PASSWORD", "prod/db/password", None),
    ("DB_PASSWORD", "/app/db/password", None),
    # CloudFormation resolves a secretsmanager dynamic reference into the configuration in plain text.
    (
        "DB_PASSWORD",
        "{{resolve:secretsmanager:prod/db:SecretString:password}}",
        "the value is a CloudFormation dynamic reference to secretsmanager, which CloudFormation resolves into plain "
        "text in the function's configuration: pass the secret's ARN in the env var instead and read the value at "
        "runtime",
    ),
    ("LOG_LEVEL", "{{resolve:ssm:/rustlambda/dev/log-level}}", None),
    ("DB_PASSWORD", PLACEHOLDER_PASSWORD, None),
    ("DB_PASSWORD", "", None),
    ("GOOGLE_APPLICATION_CREDENTIALS", "/var/task/credentials.json", None),
    ("DATABASE_URL", "postgres://app:" + PLACEHOLDER_PASSWORD + "@db.internal:5432/app", None),
    # Public hashes and identifiers.
    ("CODE_SHA256", SHA256_HEX, None),
    ("CODE_SHA256", base64.b64encode(bytes.fromhex(SHA256_HEX)).decode(), None),
    ("GIT_SHA", SHA1_HEX, None),
    ("ARTIFACT_MD5", MD5_HEX, None),
    ("IMAGE_DIGEST", "sha256:" + SHA256_HEX, None),
    ("TENANT_ID", UUID, None),
    # Ordinary settings: URLs without credentials, ARNs, names, numbers.
    ("API_URL", "https://api.example.com/v1", None),
    ("DOWNLOAD_URL", "https://files.example.com/get?key=uploads/report.json", None),
    ("DB_CONFIG", json.dumps({"host": "db.internal", "port": 5432, "password_secret": "prod/db/password"}), None),
    ("DATABASE_URL", "postgres://app@db.internal:5432/app", None),
    ("QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/rustlambda-dev-orders", None),
    # Telegram's detector would match the account id and queue name of this ARN.
    ("DLQ_ARN", "arn:aws:sqs:us-east-1:123456789012:rustlambda-dev-orders-queue-dlq-abc12345", None),
    ("KMS_KEY", "alias/rustlambda-dev", None),
    ("IMAGE", "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:3f2a1bc", None),
    ("AVAILABILITY_ZONES", "us-east-1a,us-east-1b,us-east-1c", None),
    ("USER_POOL_ID", "us-east-1_AbCdEfGhI", None),
    ("FEATURE_ENABLED", "false", None),
    ("PEER_CERTIFICATE", PEM_CERT, None),
    # Containers taken apart: each piece judged like a setting of its own.
    (
        "UPSTREAMS",
        json.dumps([{"host": "a.internal"}, {"host": "b.internal", "password": "winter2024"}]),
        'the value is JSON with a plaintext credential in field "[1].password": ' + STORE,
    ),
    (
        "APP_CONFIG",
        "db:\n  host: db.internal\n  pass: tr0ub4dor\n",
        'the value is a YAML document with a plaintext credential in field "db.pass": ' + STORE,
    ),
    (
        "DOTENV",
        "HOST=db.internal\nAPI_TOKEN=abc123def456ghi\n",
        "the value is a list of settings with a plaintext credential in 'API_TOKEN': " + STORE,
    ),
    (
        "PG_DSN",
        "host=db.internal user=app password=blue-sky-42",
        "the value is a connection string with an embedded password or key: " + STRIP,
    ),
    (
        "ALERTS",
        "https://chat.example.com/api/webhooks/883311224455/" + filler(40, 64),
        "the value is a URL with a secret token in its path: " + STRIP,
    ),
    (
        "REPORTS",
        "https://reports-fn.example.net/api/run?code=" + filler(41, 44),
        "the value is a URL with a credential in its query string (parameter 'code'): " + STRIP,
    ),
    (
        "BLOB",
        "https://files.example.net/r.csv?sv=2022-11-02&sig=" + filler(42, 43),
        "the value is a URL with a credential in its query string (parameter 'sig'): " + STRIP,
    ),
    ("UPSTREAM_HEADER", "Authorization: Bearer " + filler(43, 36), AUTH_HEADER),
    (
        "JAVA_TOOL_OPTIONS",
        "-Xmx512m -Dapi.key=" + filler(44, 32),
        "the value is a command line with a plaintext credential in argument '-Dapi.key': " + STORE,
    ),
    (
        "JWKS",
        json.dumps({"keys": [{"kty": "RSA", "n": filler(45, 300), "e": "AQAB", "d": filler(46, 300)}]}),
        'the value is JSON with a plaintext credential in field "keys[0]" (a JSON Web Key with private parameters): '
        + STORE,
    ),
    ("JWKS", json.dumps({"keys": [{"kty": "RSA", "kid": "k1", "n": filler(47, 300), "e": "AQAB"}]}), None),
    # Key names across spellings, numbers under them, key material at a digest's length.
    ("smtpPassWord", "mailbox99", KEYWORD),
    ("ADMIN_PW", "letmein", KEYWORD),
    ("FTP_CREDS", "ops:sunflower", KEYWORD),
    ("DB_PASSWORD", "20481632", NUMERIC),
    ("VAULT_PIN", "4821", NUMERIC),
    ("MANIFEST_KEY", filler(48, 64, "0123456789abcdef"), MATERIAL),
    ("SIGNING_SALT", filler(49, 32, "0123456789abcdef"), MATERIAL),
    ("TOTP_SEED", filler(50, 32, string.ascii_uppercase + "234567"), OTP),
    # Public by design, and identifiers under any spelling of their names.
    ("STRIPE_KEY", "pk_live_" + filler(51, 24), None),
    ("RECAPTCHA_SITE_KEY", "6Lc" + filler(52, 37), None),
    ("ALGOLIA_SEARCH_KEY", filler(53, 32, "0123456789abcdef"), None),
    ("OAUTH_CLIENT", filler(54, 26, string.ascii_lowercase + string.digits), None),
    ("JWT_VERIFY_KEY", f"{DASHES}BEGIN PUBLIC KEY{DASHES}\n{filler(55, 64)}\n{DASHES}END PUBLIC KEY{DASHES}", None),
    ("FUNCTION", "OrdersStack-WorkerFunction-AbCdEfGh1234", None),
    ("HOST_KEY_FINGERPRINT", "SHA256:" + base64.b64encode(bytes(range(32))).decode().rstrip("="), None),
    ("TWILIO_ACCOUNT_SID", "AC" + filler(56, 32, "0123456789abcdef"), None),
    ("PWD", "/var/task", None),
    # Pulumi's unknown-value sentinel during preview.
    ("DB_PASSWORD", "04da6b54-80e4-46f7-96ec-b56ff0331ba9", None),
]


@pytest.mark.parametrize(("key", "value", "expected"), CASES, ids=[f"{i}-{c[0]}" for i, c in enumerate(CASES)])
def test_corpus(key: str, value: str, expected: str | None) -> None:
    finding = find_secret(key, value)
    assert (finding.reason if finding else None) == expected
    if finding is not None:
        assert finding.key == key


def test_corpus_is_large_and_mixed() -> None:
    flagged = sum(1 for _, _, expected in CASES if expected is not None)
    assert len(CASES) >= 40
    assert flagged >= 15
    assert len(CASES) - flagged >= 15


def test_credential_pasted_as_the_name() -> None:
    assert find_secret(AWS_EXAMPLE_ID, "1") == Finding(
        AWS_EXAMPLE_ID, "the name looks like an AWS access key ID: rename the variable and " + STORE
    )


def test_finding_is_frozen() -> None:
    finding = Finding("K", "r")
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.key = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("DB_PASSWORD", True),
        ("PGPASSWORD", True),
        ("dbPassword", True),
        ("APIKey", True),
        ("STRIPE_API_KEY", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("SECRET_KEY_BASE", True),
        ("DB_PASSWORD_2", True),
        ("CLIENT_CREDENTIALS", True),
        ("AWS_ACCESS_KEY_ID", False),
        ("PARTITION_KEY", False),
        ("SIGNING_KEY_SECRET_ARN", False),
        ("SECRET_TTL_SECONDS", False),
        ("TOKEN_TTL_SECONDS", False),
        ("PASSWORD_MIN_LENGTH", False),
        ("AUTH_TOKEN_HEADER", False),
        ("RUST_LOG", False),
    ],
)
def test_is_secret_sounding(key: str, expected: bool) -> None:
    assert is_secret_sounding(key) is expected
