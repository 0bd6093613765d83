"""Python baseline of functions/s3-processor: streams each new object of INPUT_BUCKET through
SHA-256 and writes a manifest signed with HMAC-SHA256 (the key: the secret named by
SIGNING_KEY_SECRET_ARN, read at first use, cached SECRET_TTL_SECONDS, a failed read never cached)
to OUTPUT_BUCKET under MANIFEST_PREFIX. Same canonical string ("bucket\\nkey\\nsize\\nsha256"), same
manifest JSON, same error types."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import urllib.parse
from typing import Any

import boto3
from botocore.config import Config
from runtime_support import REGION, Logger, required_env, whole_number_env

CHUNK_BYTES = 64 * 1024


log = Logger("s3_processor")


def quoted(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


INPUT_BUCKET = required_env("INPUT_BUCKET", "the name of the bucket whose uploads are hashed")
OUTPUT_BUCKET = required_env(
    "OUTPUT_BUCKET", "the name of the bucket the manifests are written to (not the input bucket)"
)
if INPUT_BUCKET == OUTPUT_BUCKET:
    raise RuntimeError(
        f"OUTPUT_BUCKET and INPUT_BUCKET are both {quoted(INPUT_BUCKET)}: manifests written to the input bucket "
        "would re-trigger the function; set OUTPUT_BUCKET to a separate bucket"
    )
MANIFEST_PREFIX = os.environ.get("MANIFEST_PREFIX", "manifests/")
SECRET_TTL = whole_number_env(
    "SECRET_TTL_SECONDS", 300, "a whole number of seconds to reuse the signing key before reading it again"
)
SECRET_ENV = "SIGNING_KEY_SECRET_ARN"
SECRET_ARN = required_env(SECRET_ENV, "it must hold the ARN of the secret to read")
# A custom endpoint (a local S3 emulator) gets path-style addressing, as in the Rust function.
_custom_endpoint = bool(os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL_S3"))
S3 = boto3.client(
    "s3", region_name=REGION, config=Config(s3={"addressing_style": "path"}) if _custom_endpoint else None
)
SECRETS = boto3.client("secretsmanager", region_name=REGION)

_cached_key: tuple[str, float] | None = None


class MissingField(Exception):
    pass


class UnexpectedBucket(Exception):
    pass


class InvalidKey(Exception):
    pass


class ReadObjectFailed(Exception):
    pass


class SigningKeyUnavailable(Exception):
    pass


class WriteManifestFailed(Exception):
    pass


def error_reason(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        details = response["Error"]
        return f"{details.get('Code', 'Unknown')}: {details.get('Message', '')}"
    return str(error)


def signing_key() -> str:
    """The secret's value: cached while younger than the TTL; a failed read is not cached."""
    global _cached_key
    if _cached_key is not None and time.monotonic() - _cached_key[1] < SECRET_TTL:
        return _cached_key[0]
    try:
        value = SECRETS.get_secret_value(SecretId=SECRET_ARN).get("SecretString")
    except Exception as error:
        raise LookupError(
            f"could not read the secret {SECRET_ARN} named by {SECRET_ENV}: {error_reason(error)}"
        ) from None
    if value is None:
        raise LookupError(
            f"could not read the secret {SECRET_ARN} named by {SECRET_ENV}: the secret has no string value "
            "(binary secrets are not supported)"
        )
    _cached_key = (value, time.monotonic())
    return str(value)


def target(index: int, record: Any) -> tuple[str, str]:
    s3 = record.get("s3", {}) if isinstance(record, dict) else {}
    bucket = (s3.get("bucket") or {}).get("name")
    if not isinstance(bucket, str) or not bucket:
        raise MissingField(f"record {index} has no s3.bucket.name")
    if bucket != INPUT_BUCKET:
        raise UnexpectedBucket(
            f"record {index} is from bucket {quoted(bucket)}, but this function only processes objects of "
            f"INPUT_BUCKET {quoted(INPUT_BUCKET)}"
        )
    raw_key = (s3.get("object") or {}).get("key")
    if not isinstance(raw_key, str) or not raw_key:
        raise MissingField(f"record {index} has no s3.object.key")
    try:
        key = urllib.parse.unquote_to_bytes(raw_key.replace("+", " ")).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidKey(
            f"record {index} has object key {quoted(raw_key)}, which is not valid UTF-8 once URL-decoded"
        ) from None
    return bucket, key


def digest(bucket: str, key: str) -> tuple[int, str]:
    """Streams the object through SHA-256, chunk by chunk."""
    try:
        body = S3.get_object(Bucket=bucket, Key=key)["Body"]
        hasher, size = hashlib.sha256(), 0
        for chunk in body.iter_chunks(CHUNK_BYTES):
            hasher.update(chunk)
            size += len(chunk)
    except Exception as error:
        raise ReadObjectFailed(
            f"could not read object {quoted(key)} from bucket {quoted(bucket)}: {error_reason(error)}"
        ) from None
    return size, hasher.hexdigest()


def process(event: dict[str, Any]) -> dict[str, Any]:
    targets = [target(index, record) for index, record in enumerate(event.get("Records") or [])]
    manifests = []
    for bucket, key in targets:
        try:
            secret = signing_key()
        except LookupError as cause:
            raise SigningKeyUnavailable(
                f"could not sign the manifest of object {quoted(key)} from bucket {quoted(bucket)}: {cause}"
            ) from None
        size, sha256 = digest(bucket, key)
        message = f"{bucket}\n{key}\n{size}\n{sha256}".encode()
        manifest = {
            "bucket": bucket,
            "key": key,
            "size": size,
            "sha256": sha256,
            "signature": hmac.new(secret.encode(), message, hashlib.sha256).hexdigest(),
        }
        manifest_key = f"{MANIFEST_PREFIX}{key}.json"
        try:
            S3.put_object(
                Bucket=OUTPUT_BUCKET,
                Key=manifest_key,
                Body=json.dumps(manifest, separators=(",", ":"), ensure_ascii=False).encode(),
                ContentType="application/json",
            )
        except Exception as error:
            raise WriteManifestFailed(
                f"could not write manifest {quoted(manifest_key)} to bucket {quoted(OUTPUT_BUCKET)} for object "
                f"{quoted(key)} from bucket {quoted(bucket)}: {error_reason(error)}"
            ) from None
        log("INFO", "manifest written", bucket=bucket, key=key, manifest_key=manifest_key, size=size)
        manifests.append({"bucket": bucket, "key": key, "manifest_key": manifest_key, "size": size, "sha256": sha256})
    return {"manifests": manifests}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    log.request_id = context.aws_request_id
    try:
        result = process(event)
    except Exception as error:
        log("ERROR", "event failed", error=str(error), error_type=type(error).__name__)
        raise
    log("INFO", "event processed", manifests=len(result["manifests"]))
    return result
