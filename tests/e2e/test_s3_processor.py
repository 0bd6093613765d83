"""s3-processor end to end: a key with spaces and unicode arrives URL-encoded, the object is hashed
and a signed manifest lands in the OTHER bucket; a secret missing at the first invocation gives an
error response and the next invocation, once it exists, succeeds."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.parse
from typing import Any

from harness.aws import create_bucket
from harness.functions import WORKSPACE
from harness.moto import MotoServer
from tests.e2e.conftest import StartFunction

TEMPLATE = json.loads((WORKSPACE / "s3-processor" / "tests" / "fixtures" / "object-created.json").read_text())[
    "Records"
][0]
KEY = "incoming/my report é 2026.txt"
BODY = "hello from e2e ✓\n".encode() * 1000
SIGNING_KEY = "e2e-signing-key"


def event(bucket: str, key: str, size: int) -> dict[str, Any]:
    record = json.loads(json.dumps(TEMPLATE))
    record["s3"]["bucket"]["name"] = bucket
    record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    # S3 notifications URL-encode keys with '+' for spaces.
    record["s3"]["object"]["key"] = urllib.parse.quote_plus(key, safe="/")
    record["s3"]["object"]["size"] = size
    return {"Records": [record]}


def test_manifest_for_a_unicode_key_and_a_secret_created_late(
    start_function: StartFunction, moto: MotoServer, unique: str
) -> None:
    uploads = create_bucket(moto, f"uploads-{unique}")
    manifests = create_bucket(moto, f"manifests-{unique}")
    moto.client("s3").put_object(Bucket=uploads, Key=KEY, Body=BODY)
    # Secrets Manager accepts a secret's name wherever it takes its ARN; the name is known before
    # the secret exists, which lets this test create it between two invocations.
    secret_name = f"signing-{unique}"
    function = start_function(
        "s3-processor",
        {"INPUT_BUCKET": uploads, "OUTPUT_BUCKET": manifests, "SIGNING_KEY_SECRET_ARN": secret_name},
    )

    first = function.invoke(event(uploads, KEY, len(BODY)))
    assert first.is_error, first.body
    assert first.body["errorType"] == "SigningKeyUnavailable"
    assert f"could not read the secret {secret_name} named by SIGNING_KEY_SECRET_ARN" in first.body["errorMessage"]
    assert SIGNING_KEY not in json.dumps(first.body)

    moto.client("secretsmanager").create_secret(Name=secret_name, SecretString=SIGNING_KEY)
    second = function.invoke(event(uploads, KEY, len(BODY)))
    digest = hashlib.sha256(BODY).hexdigest()
    manifest_key = f"manifests/{KEY}.json"
    assert second.body == {
        "manifests": [
            {"bucket": uploads, "key": KEY, "manifest_key": manifest_key, "size": len(BODY), "sha256": digest}
        ]
    }
    stored = json.loads(moto.client("s3").get_object(Bucket=manifests, Key=manifest_key)["Body"].read())
    signed = f"{uploads}\n{KEY}\n{len(BODY)}\n{digest}".encode()
    assert stored == {
        "bucket": uploads,
        "key": KEY,
        "size": len(BODY),
        "sha256": digest,
        "signature": hmac.new(SIGNING_KEY.encode(), signed, hashlib.sha256).hexdigest(),
    }
    assert "Contents" not in moto.client("s3").list_objects_v2(Bucket=uploads, Prefix="manifests/")
    assert SIGNING_KEY not in function.logs()


def test_a_missing_object_names_bucket_and_key(start_function: StartFunction, moto: MotoServer, unique: str) -> None:
    uploads = create_bucket(moto, f"uploads-{unique}")
    manifests = create_bucket(moto, f"manifests-{unique}")
    secret = moto.client("secretsmanager").create_secret(Name=f"signing-{unique}", SecretString=SIGNING_KEY)
    function = start_function(
        "s3-processor",
        {"INPUT_BUCKET": uploads, "OUTPUT_BUCKET": manifests, "SIGNING_KEY_SECRET_ARN": secret["ARN"]},
    )
    result = function.invoke(event(uploads, "incoming/gone.txt", 5))
    assert result.body["errorType"] == "ReadObjectFailed"
    assert result.body["errorMessage"].startswith(
        f'could not read object "incoming/gone.txt" from bucket "{uploads}": '
    )
