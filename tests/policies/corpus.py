"""The policy corpus: fabricated cases stored as data (tests/policies/corpus_cases/<category>.yaml), each a
stack fragment the pack must block or pass, turned into what the engine sends.

A case:

    - id: marked-secret-under-innocent-key      # unique within its file
      expect: block                             # or pass
      policy: lambda-function-no-secrets-in-env # block: the policy that must report it (mandatory)
      why: a value from config.require_secret   # what the case is about
      config: {...}                             # optional pack config (policy name -> properties)
      env: {UPSTREAM: {$secret: "..."}}         # shorthand: the base function with these env vars
      function: {runtime: python3.12}           # shorthand: the base function with these properties
      resources:                                # or: explicit resources (type, name, props, deps)
        - {type: aws:iam/role:Role, name: r, props: {...}, deps: {environment: [other-name]}}

Values are written as data, with a few markers expanded at load time, so that no committed line looks
like a real credential to a scanner and every run sees the same bytes:

    {$secret: v}             Pulumi's secret marker around v
    {$zip: {name: content}}  a zip written under the test's tmp dir, as a FileArchive
    "$unknown"               Pulumi's unknown value (preview)
    "{{fill:SEED:N}}"        N seeded random letters and digits
    "{{hex:SEED:N}}"         N seeded random hex digits
    "{{b32:SEED:N}}"         N seeded random base32 characters (A-Z, 2-7)
    "{{b64:SEED:BYTES}}"     BYTES seeded random bytes in base64
    "{{url64:SEED:N}}"       N seeded random base64url characters
    "{{aws_key_id}}", "{{aws_secret}}"   AWS's documented example keys
    "{{pem:LABEL}}"          a PEM block labelled LABEL around filler
    "{{jwt}}"                an unsigned JWT
    "{{elf:arm64}}"          (zip content) the start of an arm64 ELF executable
    "{{der:KIND}}"           base64 of a DER structure: certificate, spki (a public key), pkcs8 (a private key)
    "{{kms:SEED}}"           base64 of a KMS ciphertext blob; "{{sdk:SEED}}" of an AWS Encryption SDK message
    "{{ssh:SEED}}"           an OpenSSH ed25519 public key line
"""

from __future__ import annotations

import base64
import copy
import json
import random
import re
import string
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from offline.analyzer import StackResource
from tests.policies.resources import ACCOUNT, ARCHIVE, SIGNATURE, UNKNOWN, elf_header, urn

CORPUS_DIR = Path(__file__).parent / "corpus_cases"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
FUNCTION = "aws:lambda/function:Function"
# A function that passes every policy: the base of the `env` and `function` shorthands.
BASE_FUNCTION: dict[str, Any] = {
    "name": "corpus-fn",
    "runtime": "provided.al2023",
    "architectures": ["arm64"],
    "handler": "bootstrap",
    "role": f"arn:aws:iam::{ACCOUNT}:role/corpus-fn-role",
    "environment": {"variables": {"RUST_LOG": "info"}},
    "loggingConfig": {"logFormat": "JSON", "logGroup": "/aws/lambda/corpus-fn"},
}
MARKER = re.compile(r"\{\{(\w+)(?::([^:}]+))?(?::(\d+))?\}\}")
DASHES = "-" * 5


@dataclass(frozen=True)
class Case:
    category: str
    id: str
    expect: str  # "block" or "pass"
    policy: str | None
    why: str
    config: dict[str, Any]
    resources: list[StackResource] = field(default_factory=list)


def _filler(seed: int, length: int, alphabet: str) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(length))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _expand_marker(match: re.Match[str]) -> str:
    kind, arg, number = match.group(1), match.group(2) or "", match.group(3)
    seed, length = (int(arg) if arg.isdigit() else 0), int(number or 0)
    if kind == "fill":
        return _filler(seed, length, string.ascii_letters + string.digits)
    if kind == "hex":
        return _filler(seed, length, "0123456789abcdef")
    if kind == "b32":
        return _filler(seed, length, string.ascii_uppercase + "234567")
    if kind == "b64":
        return base64.b64encode(random.Random(seed).randbytes(length)).decode()
    if kind == "url64":
        return _filler(seed, length, string.ascii_letters + string.digits + "-_")
    if kind == "aws_key_id":
        return "AKIA" + "IOSFODNN7EXAMPLE"
    if kind == "aws_secret":
        return "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
    if kind == "pem":
        label = str(arg).replace("_", " ")
        return f"{DASHES}BEGIN {label}{DASHES}\n{_filler(7, 64, string.ascii_letters)}\n{DASHES}END {label}{DASHES}\n"
    if kind in ("der", "kms", "sdk", "ssh"):
        return _structure(kind, arg)
    if kind == "jwt":
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = _b64url(json.dumps({"sub": "corpus"}).encode())
        return f"{header}.{claims}.{_b64url(b'not-a-signature')}"
    raise ValueError(f"unknown corpus marker {match.group(0)!r}")


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    encoded = bytes([length]) if length < 0x80 else bytes([0x82]) + length.to_bytes(2, "big")
    return bytes([tag]) + encoded + content


def _structure(kind: str, arg: str) -> str:
    """Public or private data by its structure, built here (no key or certificate is copied)."""
    rng = random.Random(arg)
    algorithm = _der(0x30, _der(0x06, bytes.fromhex("2a8648ce3d0201")))  # id-ecPublicKey
    if kind == "der":
        key = _der(0x03, b"\x00" + rng.randbytes(65))
        blocks = {
            "spki": _der(0x30, algorithm + key),
            "certificate": _der(0x30, _der(0x30, _der(0x02, b"\x02") + algorithm + key) + algorithm + key),
            "pkcs8": _der(0x30, _der(0x02, b"\x00") + algorithm + _der(0x04, rng.randbytes(48))),
        }
        return base64.b64encode(blocks[arg]).decode()
    if kind == "kms":
        return base64.b64encode(b"\x01\x02\x02\x00\x78" + rng.randbytes(180)).decode()
    if kind == "sdk":
        return base64.b64encode(b"\x02\x05\x78" + rng.randbytes(32) + b"\x00\x07aws-kms" + rng.randbytes(200)).decode()
    blob = (11).to_bytes(4, "big") + b"ssh-ed25519" + (32).to_bytes(4, "big") + rng.randbytes(32)
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} deploy@ci"


def _expand(value: Any, tmp: Path) -> Any:
    """The wire value of a corpus value (markers expanded, secrets and archives as the engine sends them)."""
    if isinstance(value, str):
        return UNKNOWN if value == "$unknown" else MARKER.sub(_expand_marker, value)
    if isinstance(value, list):
        return [_expand(v, tmp) for v in value]
    if isinstance(value, dict):
        if set(value) == {"$secret"}:
            return {SIGNATURE: SECRET_SIG, "value": _expand(value["$secret"], tmp)}
        if set(value) == {"$zip"}:
            return {SIGNATURE: ARCHIVE, "path": str(_write_zip(value["$zip"], tmp))}
        if set(value) == {"$json"}:
            return json.dumps(_expand(value["$json"], tmp))
        return {k: _expand(v, tmp) for k, v in value.items()}
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # numbers travel as floats on the wire
    return value


def _write_zip(members: dict[str, str], tmp: Path) -> Path:
    path = tmp / f"corpus-{len(list(tmp.glob('corpus-*.zip')))}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            data = elf_header(183) + bytes(64) if content == "{{elf:arm64}}" else MARKER.sub(_expand_marker, content)
            archive.writestr(name, data if isinstance(data, bytes) else data.encode())
    return path


def _resources(raw: dict[str, Any], tmp: Path) -> list[StackResource]:
    entries = list(raw.get("resources") or [])
    if "env" in raw or "function" in raw:
        props = copy.deepcopy(BASE_FUNCTION)
        props.update(raw.get("function") or {})
        if "env" in raw:
            props["environment"] = {"variables": {"RUST_LOG": "info", **raw["env"]}}
        entries.insert(0, {"type": FUNCTION, "name": "corpus-fn", "props": props})
    urns = {e["name"]: urn(e["type"], e["name"]) for e in entries}
    resources = []
    for entry in entries:
        deps = {k: [urns[n] for n in names] for k, names in (entry.get("deps") or {}).items()}
        resources.append(
            StackResource(
                urn=urns[entry["name"]],
                type=entry["type"],
                name=entry["name"],
                properties=_expand(entry.get("props") or {}, tmp),
                parent=urns.get(entry.get("parent", ""), ""),
                dependencies=sorted({u for us in deps.values() for u in us}),
                property_dependencies=deps,
            )
        )
    return resources


def load(tmp: Path) -> list[Case]:
    """Every case of every category file, with its resources in wire format."""
    cases: list[Case] = []
    for path in sorted(CORPUS_DIR.glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text()):
            cases.append(
                Case(
                    category=path.stem,
                    id=raw["id"],
                    expect=raw["expect"],
                    policy=raw.get("policy"),
                    why=raw.get("why", ""),
                    config=raw.get("config") or {},
                    resources=_resources(raw, tmp),
                )
            )
    return cases


def case_ids() -> list[str]:
    """`<category>/<id>` of every case, without building resources (for test ids)."""
    return [
        f"{path.stem}/{raw['id']}"
        for path in sorted(CORPUS_DIR.glob("*.yaml"))
        for raw in yaml.safe_load(path.read_text())
    ]
