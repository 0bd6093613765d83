"""Public data told from secrets by structure, not by entropy: public keys and certificates in their
encodings (PEM, DER in base64, SSH, JSON Web Keys), KMS and AWS Encryption SDK ciphertext, and
digests of the lengths hash functions produce.

Each classifier parses the value: a base64 blob is a certificate when it decodes to a DER
certificate, an SSH key when its blob names the key type it claims, a JWK when it is JSON with
`kty` and no private member. Pure (no Pulumi imports). Hand-written rather than through a
cryptography library: the pack needs the outer structure only (DER's tag-length framing, the SSH
wire format's first string), not keys it can use.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator

PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\s*([A-Za-z0-9+/=\s:,.-]*?)\s*-----END \1-----", re.DOTALL)
PEM_PUBLIC_LABELS = frozenset(
    {"PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CRL", "PGP PUBLIC KEY BLOCK",
     "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST", "SSH2 PUBLIC KEY", "EC PARAMETERS", "DH PARAMETERS"}
)  # fmt: skip
SSH_KEY = re.compile(r"^((?:ssh|ecdsa|sk)-[a-z0-9@.-]+)\s+([A-Za-z0-9+/]+={0,2})(?:\s+\S.*)?$")
BASE64_TEXT = re.compile(r"^[A-Za-z0-9+/_=\s-]+$")
# JSON Web Key members that hold private key material (RFC 7518 section 6).
JWK_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k", "oth"})
# Digest sizes in bytes: MD5, SHA-1, SHA-224, SHA-256, SHA-384, SHA-512.
DIGEST_BYTES = frozenset({16, 20, 28, 32, 48, 64})
DIGEST_PREFIX = re.compile(r"^(?:sha1|sha224|sha256|sha384|sha512|md5)[:-]", re.IGNORECASE)
# DER tags.
SEQUENCE, INTEGER, BIT_STRING, OBJECT_ID = 0x30, 0x02, 0x03, 0x06
# The first bytes of a KMS ciphertext blob (version 1, then the key's reference: "AQICAH..." in
# base64) and of an AWS Encryption SDK message (versions 1 and 2).
KMS_BLOB = re.compile(rb"^\x01\x02[\x01-\x03]\x00\x78", re.DOTALL)
ENCRYPTION_SDK = re.compile(rb"^(?:\x01\x80|\x02\x05)", re.DOTALL)


def decode_base64(text: str) -> bytes | None:
    """Standard or URL-safe base64 (padding optional, whitespace ignored), or None."""
    compact = "".join(text.split())
    if not compact or not BASE64_TEXT.match(compact):
        return None
    compact = compact.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _der_items(data: bytes) -> Iterator[tuple[int, bytes]] | None:
    """(tag, content) of each DER element in `data`, or None when `data` is not a whole DER list."""
    items: list[tuple[int, bytes]] = []
    i = 0
    while i < len(data):
        if i + 2 > len(data):
            return None
        tag, length = data[i], data[i + 1]
        i += 2
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 4 or i + count > len(data):
                return None
            length = int.from_bytes(data[i : i + count], "big")
            i += count
        if i + length > len(data):
            return None
        items.append((tag, data[i : i + length]))
        i += length
    return iter(items)


def der_kind(data: bytes) -> str | None:
    """ "certificate", "public key" or "private key" for a DER structure of one of those, else None."""
    outer = _der_items(data)
    if outer is None:
        return None
    elements = list(outer)
    if len(elements) != 1 or elements[0][0] != SEQUENCE:
        return None
    inner = _der_items(elements[0][1])
    if inner is None:
        return None
    children = list(inner)
    tags = [tag for tag, _ in children]
    if tags[:1] == [INTEGER] and children[0][1] in (b"\x00", b"\x01") and len(children) >= 3:
        return "private key"  # PKCS#8, PKCS#1 RSA, SEC 1 EC: a version number, then key material
    if tags == [SEQUENCE, BIT_STRING]:
        return "public key"  # SubjectPublicKeyInfo
    if tags == [INTEGER, INTEGER]:
        return "public key"  # PKCS#1 RSAPublicKey: modulus and exponent
    if len(tags) == 3 and tags[0] == SEQUENCE and tags[1] == SEQUENCE and tags[2] == BIT_STRING:
        return "certificate"  # X.509 certificate, CRL or CSR: signed data, algorithm, signature
    return None


def pem_is_public(text: str) -> bool:
    """PEM text whose blocks are all public (keys, certificates, CSRs, parameters)."""
    blocks = PEM_BLOCK.findall(text)
    return bool(blocks) and all(label in PEM_PUBLIC_LABELS for label, _ in blocks)


def ssh_public_key(text: str) -> bool:
    """An OpenSSH public key line (`ssh-ed25519 AAAA... comment`) whose blob names its key type."""
    match = SSH_KEY.match(text.strip())
    if match is None:
        return False
    blob = decode_base64(match.group(2))
    if blob is None or len(blob) < 4:
        return False
    length = int.from_bytes(blob[:4], "big")
    return blob[4 : 4 + length].decode("ascii", errors="replace") == match.group(1)


def jwk_is_public(text: str) -> bool:
    """A JSON Web Key, or a key set, without private members."""
    try:
        document = json.loads(text)
    except ValueError:
        return False
    keys = document.get("keys") if isinstance(document, dict) and "keys" in document else [document]
    return (
        isinstance(keys, list)
        and bool(keys)
        and all(isinstance(k, dict) and "kty" in k and not JWK_PRIVATE_MEMBERS & set(k) for k in keys)
    )


def base64_public_structure(text: str) -> str | None:
    """ "a certificate" / "a public key" / "KMS ciphertext" for a base64 value that decodes to one."""
    data = decode_base64(text)
    if data is None or len(data) < 16:
        return None
    if KMS_BLOB.match(data) or (ENCRYPTION_SDK.match(data) and b"aws-kms" in data[:512]):
        return "KMS ciphertext"
    kind = der_kind(data)
    if kind in ("certificate", "public key"):
        return f"a {kind}"
    if data.startswith(b"-----BEGIN ") and pem_is_public(data.decode("ascii", errors="replace")):
        return "a PEM public key or certificate"
    return None


def base64_private_key(text: str) -> bool:
    """A base64 value that decodes to a DER private key (PKCS#8, PKCS#1, SEC 1)."""
    data = decode_base64(text)
    return data is not None and len(data) >= 32 and der_kind(data) == "private key"


def is_digest(text: str) -> bool:
    """A digest by its length: hex or base64 of 16, 20, 28, 32, 48 or 64 bytes, optionally after
    an algorithm prefix (`sha256:`, SRI's `sha384-`)."""
    body = DIGEST_PREFIX.sub("", text, count=1)
    if re.fullmatch(r"[0-9a-fA-F]+", body):
        return len(body) // 2 in DIGEST_BYTES and len(body) % 2 == 0
    data = decode_base64(body) if re.fullmatch(r"[A-Za-z0-9+/_-]+={0,2}", body) else None
    return data is not None and len(data) in DIGEST_BYTES


def public_structure(text: str) -> str | None:
    """What public data a value is by its structure ("a PEM certificate", "an SSH public key", ...)."""
    stripped = text.strip()
    if "-----BEGIN " in stripped:
        return "a PEM public key or certificate" if pem_is_public(stripped) else None
    if ssh_public_key(stripped):
        return "an SSH public key"
    if stripped[:1] == "{" and jwk_is_public(stripped):
        return "a public JSON Web Key"
    return base64_public_structure(stripped)
