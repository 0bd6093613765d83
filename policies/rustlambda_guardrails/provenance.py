"""lambda-function-secret-provenance: no function's environment carries a secret that a resource of
the stack produces or holds, judged by which outputs carry it.

The engine records, per top-level input property, the resources a value was built from
(propertyDependencies), not which of their outputs: `environment` depending on a cluster says
nothing about whether the value is the cluster's endpoint or its master password. The rule:

1. Sources. A resource is a source when its type produces a secret (`GENERATED`: a generated
   password, a private key, an access key's secret), holds one the program gives it (`HELD`: a
   SecretVersion's secret string, a parameter's value, a database's master password), or is named
   in `additionalSecretTypes`. Any other resource carries a source's secret when one of its input
   properties is built from a source (its outputs echo its inputs): a cluster whose masterPassword
   came from a RandomPassword carries that password. A function is not followed (it is judged on
   its own), a component stands for the resources under it.
2. Values. Each env value of a function whose `environment` depends on a source (directly or
   through resources in between) is judged against that source:
   - a value that contains a secret value the source holds (its inputs, which the engine sends,
     marked secret) carries it;
   - a value that cannot hold a generated or unseen secret by its shape does not: numbers,
     booleans, ARNs, host names, URLs without credentials, names and paths, generated physical
     names, ids, PEM/SSH/JWK public keys, certificates and fingerprints (secret_values);
   - when every secret the source holds is known to the pack and the value contains none of them,
     and the source generates none, the value does not carry it;
   - a value under a key that names an identifier or address (CLIENT_ID, KEY_ID, DB_HOST,
     QUEUE_URL), of a source that has such public outputs, is that output unless it has a known
     credential format;
   - random bytes in hex or base64 from a source that generates its secret carry it, even at a
     digest's length;
   - any other value (a random-looking token, a connection string, a blob) carries it.
   Values marked secret are lambda-function-no-secrets-in-env's to report.
3. Unknown values (a preview, before the resources exist): when every source the environment
   depends on has no output but its secret (a generated password), the value is reported
   (conservatively: it can only be that secret); otherwise the value is judged at update.

Escape: `exemptResources` names a function (AWS or Pulumi name, or URN) whose environment is not
judged; `additionalSecretTypes` adds source types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy

from .common import (
    escape,
    exempt_config,
    is_exempt,
    is_unknown,
    judged_at_update,
    plain,
    string_list,
    string_list_property,
)
from .lambda_ import FUNCTION_TYPES, resource_function_name
from .secret_detection import cannot_hold_secret
from .secret_keys import names_identifier
from .secret_markers import is_secret
from .secret_values import credential_format, is_key_material

POLICY_NAME = "lambda-function-secret-provenance"
MIN_SECRET = 4  # shorter held values are not looked for inside env values


@dataclass(frozen=True)
class SourceType:
    held: tuple[str, ...] = ()  # input paths holding a secret the program gives ("users[].password")
    generated: str = ""  # the secret the type generates, for messages ("" when none)
    public: bool = True  # whether it has outputs that carry no secret (an ARN, a name, a public key)
    # (input, value) the resource must have to hold a secret: an SSM parameter of type SecureString
    # (a String parameter's value is public by design; one holding a secret is
    # config-no-plaintext-secrets' to report, and carries a source's secret when built from one).
    only_when: tuple[str, str] | None = None


GENERATED_PASSWORD = SourceType(generated="its generated value", public=False)
SOURCES: dict[str, SourceType] = {
    "random:index/randomPassword:RandomPassword": GENERATED_PASSWORD,
    "random:index/randomString:RandomString": GENERATED_PASSWORD,
    "random:index/randomBytes:RandomBytes": GENERATED_PASSWORD,
    "random:index/randomId:RandomId": GENERATED_PASSWORD,
    "tls:index/privateKey:PrivateKey": SourceType(generated="its private key"),
    "tls:index/selfSignedCert:SelfSignedCert": SourceType(held=("privateKeyPem",)),
    "tls:index/certRequest:CertRequest": SourceType(held=("privateKeyPem",)),
    "aws:iam/accessKey:AccessKey": SourceType(generated="its secret access key"),
    "aws-native:iam:AccessKey": SourceType(generated="its secret access key"),
    "aws:iam/userLoginProfile:UserLoginProfile": SourceType(generated="its generated password"),
    "aws:iam/serviceSpecificCredential:ServiceSpecificCredential": SourceType(generated="its service password"),
    "aws:iam/virtualMfaDevice:VirtualMfaDevice": SourceType(generated="its MFA seed"),
    "aws:lightsail/keyPair:KeyPair": SourceType(generated="its private key"),
    "aws:cognito/userPoolClient:UserPoolClient": SourceType(generated="its client secret"),
    "aws-native:cognito:UserPoolClient": SourceType(generated="its client secret"),
    "aws:appsync/apiKey:ApiKey": SourceType(generated="its API key"),
    "aws:apigateway/apiKey:ApiKey": SourceType(held=("value",), generated="its API key"),
    "aws-native:apigateway:ApiKey": SourceType(held=("value",), generated="its API key"),
    "aws:secretsmanager/secretVersion:SecretVersion": SourceType(held=("secretString", "secretBinary")),
    "aws-native:secretsmanager:Secret": SourceType(held=("secretString",)),
    "aws:ssm/parameter:Parameter": SourceType(held=("value", "insecureValue"), only_when=("type", "SecureString")),
    "aws-native:ssm:Parameter": SourceType(held=("value",), only_when=("type", "SecureString")),
    "aws:rds/cluster:Cluster": SourceType(held=("masterPassword",)),
    "aws:rds/instance:Instance": SourceType(held=("password",)),
    "aws-native:rds:DBCluster": SourceType(held=("masterUserPassword",)),
    "aws-native:rds:DBInstance": SourceType(held=("masterUserPassword",)),
    "aws:docdb/cluster:Cluster": SourceType(held=("masterPassword",)),
    "aws-native:docdb:DBCluster": SourceType(held=("masterUserPassword",)),
    "aws:redshift/cluster:Cluster": SourceType(held=("masterPassword",)),
    "aws-native:redshift:Cluster": SourceType(held=("masterUserPassword",)),
    "aws:elasticache/user:User": SourceType(held=("passwords",)),
    "aws-native:elasticache:User": SourceType(held=("passwords",)),
    "aws:memorydb/user:User": SourceType(held=("authenticationMode.passwords",)),
    "aws:mq/broker:Broker": SourceType(held=("users[].password",)),
    "aws-native:amazonmq:Broker": SourceType(held=("users[].password",)),
    "aws:opensearch/domain:Domain": SourceType(held=("advancedSecurityOptions.masterUserOptions.masterUserPassword",)),
    "aws-native:opensearchservice:Domain": SourceType(
        held=("advancedSecurityOptions.masterUserOptions.masterUserPassword",)
    ),
    "aws:dms/endpoint:Endpoint": SourceType(held=("password",)),
    "aws:directoryservice/directory:Directory": SourceType(held=("password",)),
    "aws:codebuild/sourceCredential:SourceCredential": SourceType(held=("token",)),
    "aws:amplify/app:App": SourceType(held=("accessToken", "oauthToken", "basicAuthCredentials")),
    "aws:cloudwatch/eventConnection:EventConnection": SourceType(
        held=(
            "authParameters.apiKey.value",
            "authParameters.basic.password",
            "authParameters.oauth.clientParameters.clientSecret",
        )
    ),
    "aws:kms/ciphertext:Ciphertext": SourceType(held=("plaintext",)),
}


def values_at(props: Any, path: str) -> list[object]:
    """The values at a dotted path ("users[].password": every list item's password)."""
    found: list[object] = [props]
    for part in path.split("."):
        each = part.endswith("[]")
        key = part.removesuffix("[]")
        step: list[object] = []
        for node in found:
            value = node.get(key) if isinstance(node, Mapping) else None
            if value is None:
                continue
            if each and isinstance(value, list):
                step += value
            else:
                step.append(value)
        found = step
    return found


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    return [] if value is None else [str(value)]


@dataclass(frozen=True)
class Secret:
    """What a source (or a resource carrying its secret) holds, as far as the pack can see."""

    origin: PolicyResource  # the resource that produces or holds the secret
    what: str  # for messages
    values: tuple[str, ...]  # held secret values the pack sees
    complete: bool  # whether `values` are all the secret there is (nothing generated, nothing unknown)
    public: bool  # whether the origin has outputs that carry no secret
    generated: bool = False  # whether the secret is generated (random bytes, a password, a key)


class Sources:
    """The secrets each resource of a stack produces, holds or carries (memoized per resource)."""

    def __init__(self, resources: Sequence[PolicyResource], extra_types: Sequence[str]) -> None:
        self.extra_types = set(extra_types)
        self.children: dict[str, list[PolicyResource]] = {}
        for r in resources:
            if r.parent is not None:
                self.children.setdefault(r.parent.urn, []).append(r)
        self.memo: dict[str, list[Secret]] = {}

    def own(self, resource: PolicyResource) -> list[Secret]:
        if resource.resource_type in self.extra_types:
            return [Secret(resource, "the secret its type holds (additionalSecretTypes)", (), False, True, True)]
        kind = SOURCES.get(resource.resource_type)
        if kind is None:
            return []
        props = plain(resource.props)
        if kind.only_when is not None:
            condition = props.get(kind.only_when[0])
            if condition not in (kind.only_when[1], None) and not is_unknown(condition):
                return []
        held = [v for path in kind.held for v in values_at(props, path) if v not in (None, "", [], {})]
        if not held and not kind.generated:
            return []
        strings = [s for v in held for s in _strings(v)]
        complete = not kind.generated and not any(is_unknown(s) or len(s) < MIN_SECRET for s in strings)
        what = kind.generated or f"its {' / '.join(kind.held)}"
        known = tuple(s for s in strings if len(s) >= MIN_SECRET and not is_unknown(s))
        return [Secret(resource, what, known, complete, kind.public, bool(kind.generated))]

    def of(self, resource: PolicyResource, seen: frozenset[str] = frozenset()) -> list[Secret]:
        """The secrets `resource`'s outputs may carry."""
        if resource.urn in self.memo:
            return self.memo[resource.urn]
        if resource.urn in seen or resource.resource_type in FUNCTION_TYPES:
            return []
        seen = seen | {resource.urn}
        found = self.own(resource)
        upstream = [d for deps in resource.property_dependencies.values() for d in deps]
        upstream += self.children.get(resource.urn, [])  # a component stands for what is under it
        for dependency in upstream:
            found += [s for s in self.of(dependency, seen) if s not in found]
        self.memo[resource.urn] = found
        return found


def carries(key: str, value: str, secret: Secret) -> bool:
    """Whether an env value (known, not marked secret) may carry the secret (rule 2)."""
    if any(held in value for held in secret.values):
        return True
    if secret.complete:
        return False
    if secret.public and names_identifier(key) and credential_format(key, value, guess=False) is None:
        return False  # an id, name or address of a source that has such outputs (a client id, a key id)
    if secret.generated and is_key_material(value.strip()):
        return True  # random bytes in hex or base64 are what a generator gives, even at a digest's length
    return not cannot_hold_secret(value)


def _validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    sources = Sources(args.resources, string_list(config.get("additionalSecretTypes", [])))
    deferred: list[str] = []
    for function in args.resources:
        if function.resource_type not in FUNCTION_TYPES:
            continue
        name = resource_function_name(function)
        if is_exempt(config, function.name, function.urn, name):
            continue
        secrets: list[Secret] = []
        for dependency in function.property_dependencies.get("environment", []):
            secrets += [s for s in sources.of(dependency) if s not in secrets]
        if not secrets:
            continue
        environment = plain(function.props).get("environment")
        variables = environment.get("variables") if isinstance(environment, Mapping) else environment
        if is_unknown(environment) or is_unknown(variables):
            variables = {"(all)": environment}
        # Each key is reported once, with the first source (the nearest) whose secret it may carry.
        by_secret: dict[int, list[str]] = {}
        for key, value in (variables or {}).items() if isinstance(variables, Mapping) else ():
            if is_unknown(value):
                if all(not s.public for s in secrets):
                    by_secret.setdefault(0, []).append(key)
                else:
                    deferred.append(f"environment.variables.{key} of function {name}")
            elif value is not None and not is_secret(value):
                index = next((i for i, s in enumerate(secrets) if carries(key, str(value), s)), None)
                if index is not None:
                    by_secret.setdefault(index, []).append(key)
        for index, keys in sorted(by_secret.items()):
            _report(report_violation, function, name, keys, secrets[index])
    if deferred:
        judged_at_update(", ".join(sorted(set(deferred))))


def _report(
    report_violation: ReportViolation, function: PolicyResource, name: str, keys: list[str], secret: Secret
) -> None:
    origin = secret.origin
    where = ", ".join(f"environment.variables.{k}" for k in sorted(keys))
    report_violation(
        f"Function {name}: {where} may carry the secret of {origin.resource_type} {origin.name!r} ({secret.what}), "
        "from which its environment is built, so the value would sit in plain text in the function's configuration: "
        "pass a reference instead (the secret's ARN or name, the parameter's name, the resource's endpoint) and read "
        f"the value at runtime.{escape(name)}",
        function.urn,
    )


secret_provenance = StackValidationPolicy(
    name=POLICY_NAME,
    description=(
        "Checks whether any Lambda function's environment carries a secret that a resource of the stack produces or "
        "holds (a generated password or key, a secret version, a parameter, a database password), judged by which of "
        "the resource's outputs the value can come from."
    ),
    validate=_validate,
    remediation_steps=(
        "Pass a reference (the Secret's ARN or name, the parameter's name, an endpoint) in the env var and read the "
        "secret at runtime. A function reviewed otherwise is named in exemptResources."
    ),
    config_schema=exempt_config(
        additionalSecretTypes=string_list_property([], "More resource type tokens whose outputs hold secret values.")
    ),
)
