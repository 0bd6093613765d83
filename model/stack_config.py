"""The stack's configuration, read once and validated when the program starts.

Every rule AWS would enforce at deploy time is checked here first, with a message that names the
config key, the value and what is allowed. Pure: takes a `ConfigSource` (pulumi.Config in the
program, a dict in tests), so the rules are testable without Pulumi.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from model.contract import FunctionContract

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
HTTP_AUTH_MODES = ("jwt", "iam", "none")
FUNCTION_URL_AUTH = ("AWS_IAM", "NONE")
# Lambda Managed Instances limits (Lambda API reference: CapacityProvider, Function).
MI_MIN_FUNCTION_MEMORY_MB = 2048
MI_MAX_VCPU = (2, 15000)
# Manual scaling needs scaling policies this stack does not configure yet: Auto only.
MI_SCALING_MODES = ("Auto",)


class ConfigError(ValueError):
    """A config value is invalid; the message names the key and what to set."""


class ConfigSource(Protocol):
    def get(self, key: str) -> str | None: ...
    def get_int(self, key: str) -> int | None: ...
    def get_bool(self, key: str) -> bool | None: ...
    def get_object(self, key: str) -> Any: ...


@dataclass(frozen=True)
class FunctionSettings:
    """One function's deploy settings: its contract, with this stack's overrides applied."""

    memory: int
    timeout: int
    reserved_concurrency: int | None = None


@dataclass(frozen=True)
class AlarmSettings:
    errors: int = 1
    throttles: int = 1
    # p99 duration threshold as a share of the function's timeout.
    duration_p99_percent_of_timeout: int = 80
    dlq_depth: int = 1
    topic_arn: str | None = None


@dataclass(frozen=True)
class HttpSettings:
    auth: str = "iam"
    jwt_issuer: str | None = None
    jwt_audience: tuple[str, ...] = ()
    allow_unauthenticated_writes: bool = False
    function_url_auth: str = "AWS_IAM"


@dataclass(frozen=True)
class ManagedInstancesSettings:
    enabled: bool = False
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    vpc_id: str | None = None
    route_table_ids: tuple[str, ...] = ()
    max_vcpu: int = 16
    scaling_mode: str = "Auto"
    min_environments: int = 1
    max_environments: int = 4


@dataclass(frozen=True)
class StackSettings:
    project: str
    stack: str
    log_retention_days: int
    xray_tracing: bool
    functions: dict[str, FunctionSettings]
    alarms: AlarmSettings
    http: HttpSettings
    managed_instances: ManagedInstancesSettings
    secret_kms_key_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


def _fail(key: str, value: object, allowed: str) -> ConfigError:
    return ConfigError(f"config {key}={value!r} is invalid: {allowed}")


def _int_in(key: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(key, value, f"set a whole number from {low} to {high}")
    return value


def _strings(key: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(key, value, "set a list of non-empty strings")
    return tuple(value)


def _object(source: ConfigSource, key: str) -> dict[str, Any]:
    value = source.get_object(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(key, value, "set an object (pulumi config set --path)")
    return value


def _only_keys(key: str, value: Mapping[str, Any], allowed: Sequence[str]) -> None:
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise ConfigError(f"config {key} has unknown keys {unknown}: allowed keys are {', '.join(allowed)}")


def _function_settings(overrides: dict[str, Any], contracts: Sequence[FunctionContract]) -> dict[str, FunctionSettings]:
    names = [c.name for c in contracts]
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise ConfigError(f"config functions has unknown functions {unknown}: the functions are {', '.join(names)}")
    result = {}
    for contract in contracts:
        override = overrides.get(contract.name) or {}
        key = f"functions.{contract.name}"
        if not isinstance(override, dict):
            raise _fail(key, override, "set an object with memory, timeout or reservedConcurrency")
        _only_keys(key, override, ("memory", "timeout", "reservedConcurrency"))
        reserved = override.get("reservedConcurrency")
        result[contract.name] = FunctionSettings(
            memory=_int_in(f"{key}.memory", override.get("memory", contract.memory), 128, 10240),
            timeout=_int_in(f"{key}.timeout", override.get("timeout", contract.timeout), 1, 900),
            reserved_concurrency=None
            if reserved is None
            else _int_in(f"{key}.reservedConcurrency", reserved, 0, 10000),
        )
    return result


def _alarm_settings(source: ConfigSource) -> AlarmSettings:
    raw = _object(source, "alarms")
    _only_keys("alarms", raw, ("errors", "throttles", "durationP99PercentOfTimeout", "dlqDepth", "topicArn"))
    topic = raw.get("topicArn")
    if topic is not None and not (isinstance(topic, str) and topic.startswith("arn:aws:sns:")):
        raise _fail("alarms.topicArn", topic, "set the ARN of an SNS topic (arn:aws:sns:...) or leave it unset")
    defaults = AlarmSettings()
    return AlarmSettings(
        errors=_int_in("alarms.errors", raw.get("errors", defaults.errors), 1, 1_000_000),
        throttles=_int_in("alarms.throttles", raw.get("throttles", defaults.throttles), 1, 1_000_000),
        duration_p99_percent_of_timeout=_int_in(
            "alarms.durationP99PercentOfTimeout",
            raw.get("durationP99PercentOfTimeout", defaults.duration_p99_percent_of_timeout),
            1,
            100,
        ),
        dlq_depth=_int_in("alarms.dlqDepth", raw.get("dlqDepth", defaults.dlq_depth), 1, 1_000_000),
        topic_arn=topic,
    )


def _http_settings(source: ConfigSource) -> HttpSettings:
    raw = _object(source, "http")
    _only_keys("http", raw, ("auth", "jwtIssuer", "jwtAudience", "allowUnauthenticatedWrites", "functionUrlAuth"))
    auth = raw.get("auth", "iam")
    if auth not in HTTP_AUTH_MODES:
        raise _fail("http.auth", auth, f"set one of {', '.join(HTTP_AUTH_MODES)}")
    issuer = raw.get("jwtIssuer")
    audience = _strings("http.jwtAudience", raw.get("jwtAudience"))
    if auth == "jwt":
        if not (isinstance(issuer, str) and issuer.startswith("https://")):
            raise _fail("http.jwtIssuer", issuer, "http.auth is jwt: set the issuer URL (https://...)")
        if not audience:
            raise _fail("http.jwtAudience", list(audience), "http.auth is jwt: set at least one audience")
    allow_open = raw.get("allowUnauthenticatedWrites", False)
    if not isinstance(allow_open, bool):
        raise _fail("http.allowUnauthenticatedWrites", allow_open, "set true or false")
    if auth == "none" and not allow_open:
        raise _fail(
            "http.auth",
            auth,
            "routes that change data need an authorizer: set http.auth to jwt or iam, "
            "or opt out explicitly with http.allowUnauthenticatedWrites=true",
        )
    url_auth = raw.get("functionUrlAuth", "AWS_IAM")
    if url_auth not in FUNCTION_URL_AUTH:
        raise _fail("http.functionUrlAuth", url_auth, "set AWS_IAM, or NONE together with allowUnauthenticatedWrites")
    if url_auth == "NONE" and not allow_open:
        raise _fail(
            "http.functionUrlAuth",
            url_auth,
            "a public Function URL needs the explicit opt-out http.allowUnauthenticatedWrites=true",
        )
    return HttpSettings(
        auth=auth,
        jwt_issuer=issuer,
        jwt_audience=audience,
        allow_unauthenticated_writes=allow_open,
        function_url_auth=url_auth,
    )


def _managed_instances(
    source: ConfigSource, contracts: Sequence[FunctionContract], functions: dict[str, FunctionSettings]
) -> ManagedInstancesSettings:
    raw = _object(source, "managedInstances")
    _only_keys(
        "managedInstances",
        raw,
        (
            "enabled",
            "subnetIds",
            "securityGroupIds",
            "vpcId",
            "routeTableIds",
            "maxVcpu",
            "scalingMode",
            "minExecutionEnvironments",
            "maxExecutionEnvironments",
        ),
    )
    enabled = raw.get("enabled", False)
    if not isinstance(enabled, bool):
        raise _fail("managedInstances.enabled", enabled, "set true or false")
    if not enabled:
        return ManagedInstancesSettings()
    subnets = _strings("managedInstances.subnetIds", raw.get("subnetIds"))
    groups = _strings("managedInstances.securityGroupIds", raw.get("securityGroupIds"))
    if not subnets:
        raise _fail("managedInstances.subnetIds", [], "set the private subnets the capacity provider launches into")
    if not groups:
        raise _fail("managedInstances.securityGroupIds", [], "set at least one security group")
    vpc_id = raw.get("vpcId")
    if not (isinstance(vpc_id, str) and vpc_id.startswith("vpc-")):
        raise _fail("managedInstances.vpcId", vpc_id, "set the id (vpc-...) of the subnets' VPC")
    routes = _strings("managedInstances.routeTableIds", raw.get("routeTableIds"))
    if not routes:
        raise _fail(
            "managedInstances.routeTableIds",
            [],
            "set the subnets' route tables: the stack adds a DynamoDB gateway endpoint to them "
            "so the functions reach DynamoDB without NAT",
        )
    scaling_mode = raw.get("scalingMode", "Auto")
    if scaling_mode not in MI_SCALING_MODES:
        raise _fail("managedInstances.scalingMode", scaling_mode, f"set one of {', '.join(MI_SCALING_MODES)}")
    low, high = MI_MAX_VCPU
    max_vcpu = _int_in("managedInstances.maxVcpu", raw.get("maxVcpu", 16), low, high)
    min_envs = _int_in("managedInstances.minExecutionEnvironments", raw.get("minExecutionEnvironments", 1), 0, 15000)
    max_envs = _int_in("managedInstances.maxExecutionEnvironments", raw.get("maxExecutionEnvironments", 4), 1, 15000)
    if min_envs > max_envs:
        raise _fail(
            "managedInstances.minExecutionEnvironments",
            min_envs,
            f"set at most managedInstances.maxExecutionEnvironments ({max_envs})",
        )
    for contract in contracts:
        if contract.trigger_type != "managed-instances":
            continue
        memory = functions[contract.name].memory
        if memory < MI_MIN_FUNCTION_MEMORY_MB:
            raise _fail(
                f"functions.{contract.name}.memory",
                memory,
                f"functions on Managed Instances need at least {MI_MIN_FUNCTION_MEMORY_MB} MB: "
                f"set functions.{contract.name}.memory to {MI_MIN_FUNCTION_MEMORY_MB} or more",
            )
    return ManagedInstancesSettings(
        enabled=True,
        subnet_ids=subnets,
        security_group_ids=groups,
        vpc_id=vpc_id,
        route_table_ids=routes,
        max_vcpu=max_vcpu,
        scaling_mode=scaling_mode,
        min_environments=min_envs,
        max_environments=max_envs,
    )


def load(source: ConfigSource, contracts: Sequence[FunctionContract], project: str, stack: str) -> StackSettings:
    """Reads and validates every key; raises ConfigError on the first bad one."""
    retention = source.get_int("logRetentionDays")
    retention = 14 if retention is None else retention
    if retention not in LOG_RETENTION_DAYS:
        raise _fail("logRetentionDays", retention, f"set one of {', '.join(map(str, LOG_RETENTION_DAYS))}")
    xray = source.get_bool("xrayTracing")
    functions = _function_settings(_object(source, "functions"), contracts)
    kms_key = source.get("secretKmsKeyArn") or None
    if kms_key is not None and not kms_key.startswith("arn:aws:kms:"):
        raise _fail("secretKmsKeyArn", kms_key, "set the ARN of a KMS key (arn:aws:kms:...) or leave it unset")
    tags = _object(source, "tags")
    if not all(isinstance(v, str) for v in tags.values()):
        raise _fail("tags", tags, "set string values only")
    return StackSettings(
        project=project,
        stack=stack,
        log_retention_days=retention,
        xray_tracing=True if xray is None else xray,
        functions=functions,
        alarms=_alarm_settings(source),
        http=_http_settings(source),
        managed_instances=_managed_instances(source, contracts, functions),
        secret_kms_key_arn=kms_key,
        tags={"project": project, "stack": stack, **tags},
    )


def secret_config_key(secret_name: str) -> str:
    """The stack config key holding a secret's value: `manifest-signing-key` -> `manifestSigningKey`."""
    first, *rest = secret_name.split("-")
    return first + "".join(part.capitalize() for part in rest)
