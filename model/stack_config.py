"""The stack's configuration, read once and validated when the program starts.

Typed models like the function contract's (model.contract), validated the same way, with the same
messages: every rule AWS would enforce at deploy time is checked here first, and an error names the
config key, the value and what to set. Defaults live in one place each: a top-level key's default
is declared in Pulumi.yaml (where the Pulumi CLI needs it, and where the offline engine reads it
too), the defaults inside an object value (alarms.errors, http.auth, ...) are these models'.

Pure: reads a `ConfigSource` (pulumi.Config in the program, a dict in tests).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator
from pydantic.alias_generators import to_camel

from model.contract import FunctionContract, ManagedInstancesCompute
from model.validation import describe

# Lambda Managed Instances limits (Lambda API reference: CapacityProvider, Function).
MI_MIN_FUNCTION_MEMORY_MB = 2048
# AWS's Managed Instances guide: spread the capacity provider over at least three Availability Zones
# and keep at least three execution environments (Lambda's own default), so one AZ's loss leaves
# capacity serving.
MI_MIN_SUBNETS = 3
MI_MIN_ENVIRONMENTS = 3
# A capacity provider holds at most 100 function versions, a quota AWS does not raise ("Lambda Managed
# Instances quotas"); the release step keeps each function at its retention (live + retainVersions)
# plus the one being released.
MI_MAX_VERSIONS_PER_PROVIDER = 100
PROJECT_FILE = Path(__file__).resolve().parent.parent / "Pulumi.yaml"


class ConfigError(ValueError):
    """A config value is invalid; the message names the key and what to set."""


class ConfigSource(Protocol):
    """What the program reads config through: the raw value of a key of the project's namespace (as
    the Pulumi CLI stores it: text, JSON for numbers, booleans and objects), or None."""

    def get(self, key: str) -> str | None: ...


class _Config(BaseModel):
    """A config object: camelCase keys as users write them, unknown keys are errors, no coercion."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, extra="forbid", frozen=True, strict=True)


Count = Annotated[int, Field(ge=1, le=1_000_000)]
VpcId = Annotated[str, Field(pattern=r"^vpc-[0-9a-f]+$", description="the id (vpc-...) of the subnets' VPC")]
Strings = tuple[Annotated[str, Field(min_length=1, description="a non-empty string")], ...]


# CodeDeploy's predefined Lambda configurations (a new version gets 10% of the traffic first):
# canary moves the rest after `minutes`, linear adds 10% every `minutes`.
CANARY_MINUTES = (5, 10, 15, 30)
LINEAR_MINUTES = (1, 2, 3, 10)


class DeploymentSettings(_Config):
    """How a new version takes the `live` alias's traffic: all at once (after its pre-traffic check),
    or gradually through CodeDeploy, rolled back automatically when the function's alarms fire."""

    style: Literal["all-at-once", "canary", "linear"] = "all-at-once"
    minutes: Annotated[int, Field(ge=1, le=30, description="minutes per step of a canary or linear deployment")] = 5
    # Published versions kept besides the live one, for a quick manual rollback (`aws lambda
    # update-alias`); the release step deletes older ones (a capacity provider holds at most 100).
    retain_versions: Annotated[
        int, Field(ge=0, le=20, description="previous versions kept besides the live one (older ones are deleted)")
    ] = 2

    @model_validator(mode="after")
    def _predefined(self) -> DeploymentSettings:
        allowed = {"canary": CANARY_MINUTES, "linear": LINEAR_MINUTES}.get(self.style)
        if allowed is not None and self.minutes not in allowed:
            raise ValueError(
                f"minutes={self.minutes} is invalid: a {self.style} deployment takes one of "
                f"{', '.join(map(str, allowed))} minutes (CodeDeploy's predefined configurations)"
            )
        return self

    @property
    def gradual(self) -> bool:
        return self.style != "all-at-once"

    @property
    def interval_minutes(self) -> int:
        """The shortest time one traffic step lasts: the window a rollback alarm must fire in."""
        return self.minutes if self.gradual else 1

    @property
    def codedeploy_config(self) -> str:
        """The CodeDeploy deployment configuration of a gradual style."""
        if self.style == "canary":
            return f"CodeDeployDefault.LambdaCanary10Percent{self.minutes}Minutes"
        unit = "Minute" if self.minutes == 1 else "Minutes"
        return f"CodeDeployDefault.LambdaLinear10PercentEvery{self.minutes}{unit}"


# Lambda's application log levels (the function's logging config), most verbose first.
LogLevel = Annotated[
    Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"],
    Field(description="the level of the JSON lines Lambda keeps (AWS_LAMBDA_LOG_LEVEL in the function)"),
]
# Lambda treats a JSON line without a level as INFO, and the telemetry extension's metric lines have
# none: at a level above INFO Lambda would drop them.
LEVELS_THAT_KEEP_METRICS = ("TRACE", "DEBUG", "INFO")
# The `logs` exporter writes its span lines at the function's level, INFO at least and ERROR at most
# (common::spans::stdout): at FATAL Lambda would drop them.
LEVELS_THAT_KEEP_SPAN_LINES = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")
LAYER_ARN_PATTERN = r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]{1,140}:\d+$"


# The OpenTelemetry SDK's samplers (OTEL_TRACES_SAMPLER, as opentelemetry_sdk reads it in the
# functions), and those that take OTEL_TRACES_SAMPLER_ARG, the share of traces they keep.
Sampler = Literal[
    "parentbased_always_on",
    "parentbased_traceidratio",
    "parentbased_always_off",
    "always_on",
    "traceidratio",
    "always_off",
]
RATIO_SAMPLERS = ("parentbased_traceidratio", "traceidratio")


class OpenTelemetrySettings(_Config):
    """OpenTelemetry spans from every function, off by default (docs/observability.md). `exporter`
    picks how they leave the function, and so the cargo feature the workspace is built with:
    `collector` (feature `otel`): OTLP/HTTP to the ADOT collector layer `collectorLayerArn`,
    attached to every function after the telemetry extension, whose default config sends the
    traces to X-Ray; `logs` (feature `otel-lite`): lambda-otel-lite's OTLP lines on stdout, for a
    forwarder outside the function, no layer. `sampler` (and `samplingRatio` for the ratio
    samplers) decides which invocations are exported: every one by default (each under its caller's
    trace when X-Ray sampled the caller); each exported trace is one X-Ray trace recorded with the
    collector's default config."""

    enabled: bool = False
    exporter: Literal["collector", "logs"] = "collector"
    sampler: Sampler = "parentbased_always_on"
    sampling_ratio: (
        Annotated[float, Field(ge=0, le=1, description="the share of traces to keep, from 0 to 1 (0.05 is 5%)")] | None
    ) = None
    collector_layer_arn: (
        Annotated[
            str,
            Field(
                pattern=LAYER_ARN_PATTERN,
                description="the ARN of an arm64 ADOT collector layer version (arn:aws:lambda:<region>:<account>:"
                "layer:<name>:<version>)",
            ),
        ]
        | None
    ) = None

    @model_validator(mode="after")
    def _collector_layer_for_the_collector_only(self) -> OpenTelemetrySettings:
        if self.enabled and self.exporter == "collector" and self.collector_layer_arn is None:
            raise ValueError(
                "collectorLayerArn=None is invalid: openTelemetry.enabled is true with exporter collector: set the "
                "ARN of the arm64 ADOT collector layer for the stack's region, or set exporter to logs"
            )
        if self.exporter == "logs" and self.collector_layer_arn is not None:
            raise ValueError(
                f"collectorLayerArn={self.collector_layer_arn!r} is invalid: openTelemetry.exporter is logs, which "
                "sends no spans to a collector: remove collectorLayerArn, or set exporter to collector"
            )
        if self.sampler in RATIO_SAMPLERS and self.sampling_ratio is None:
            raise ValueError(
                f"samplingRatio=None is invalid: sampler {self.sampler} keeps a share of the traces: set samplingRatio "
                "from 0 to 1 (0.05 keeps 5%)"
            )
        if self.sampler not in RATIO_SAMPLERS and self.sampling_ratio is not None:
            raise ValueError(
                f"samplingRatio={self.sampling_ratio!r} is invalid: sampler {self.sampler} takes no ratio: remove "
                f"samplingRatio, or set sampler to {' or '.join(RATIO_SAMPLERS)}"
            )
        return self

    @property
    def environment(self) -> dict[str, str]:
        """The env vars that set each function's sampler (read by the OpenTelemetry SDK in the
        function): none when OpenTelemetry is off."""
        if not self.enabled:
            return {}
        env: dict[str, str] = {"OTEL_TRACES_SAMPLER": self.sampler}
        if self.sampling_ratio is not None:
            env["OTEL_TRACES_SAMPLER_ARG"] = repr(float(self.sampling_ratio))
        return env

    @property
    def collector_layer(self) -> str | None:
        """The collector layer to attach to every function: only when the collector exports the spans."""
        return self.collector_layer_arn if self.enabled and self.exporter == "collector" else None

    @property
    def cargo_features(self) -> tuple[str, ...]:
        """The workspace features the functions are built with (scripts/build_functions.py FEATURES)."""
        if not self.enabled:
            return ()
        return ("common/otel",) if self.exporter == "collector" else ("common/otel-lite",)


class FunctionOverride(_Config):
    """A function's contract settings, overridden for this stack."""

    memory: Annotated[int, Field(ge=128, le=10240, description="memory size in MB")] | None = None
    timeout: Annotated[int, Field(ge=1, le=900, description="timeout in seconds")] | None = None
    reserved_concurrency: Annotated[int, Field(ge=0, le=10000)] | None = None
    # Execution environments kept initialized on the live alias (for a strict latency target).
    provisioned_concurrency: Annotated[int, Field(ge=1, le=10000)] | None = None
    # Replaces the stack's `deployment` for this function.
    deployment: DeploymentSettings | None = None
    # Replace the stack's `logLevel` and `telemetryExtension` for this function.
    log_level: LogLevel | None = None
    telemetry_extension: bool | None = None
    # After an automatic rollback the release step refuses the rejected version until the code or
    # configuration changes; naming that version here releases it once more.
    retry_version: (
        Annotated[int, Field(ge=1, description="the number of a version the release step rejected, to release again")]
        | None
    ) = None

    # Validation and load() both resolve these against the stack's values: one rule for both.
    def resolved_log_level(self, stack_level: LogLevel) -> LogLevel:
        return self.log_level or stack_level

    def resolved_telemetry_extension(self, stack_default: bool) -> bool:
        return stack_default if self.telemetry_extension is None else self.telemetry_extension


class AlarmSettings(_Config):
    errors: Count = 1
    throttles: Count = 1
    # The p99 duration threshold, as a share of the function's timeout.
    duration_p99_percent_of_timeout: Annotated[int, Field(ge=1, le=100)] = 80
    dlq_depth: Count = 1
    topic_arn: (
        Annotated[
            str,
            Field(
                pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$",
                description="the ARN of an SNS topic (arn:aws:sns:...) or leave it unset",
            ),
        ]
        | None
    ) = None


class HttpSettings(_Config):
    """Who may call the HTTP API and the Function URL: secure by default (IAM), opened only on purpose."""

    auth: Literal["jwt", "iam", "none"] = "iam"
    jwt_issuer: Annotated[str, Field(pattern=r"^https://\S+$", description="the issuer URL (https://...)")] | None = (
        None
    )
    jwt_audience: Strings = ()
    allow_unauthenticated_writes: bool = False
    function_url_auth: Literal["AWS_IAM", "NONE"] = "AWS_IAM"

    @model_validator(mode="after")
    def _authorization_is_deliberate(self) -> HttpSettings:
        if self.auth == "jwt" and self.jwt_issuer is None:
            raise ValueError("jwtIssuer=None is invalid: http.auth is jwt: set the issuer URL (https://...)")
        if self.auth == "jwt" and not self.jwt_audience:
            raise ValueError("jwtAudience=[] is invalid: http.auth is jwt: set at least one audience")
        if self.auth == "none" and not self.allow_unauthenticated_writes:
            raise ValueError(
                "auth='none' is invalid: routes that change data need an authorizer: set http.auth to jwt "
                "or iam, or opt out explicitly with http.allowUnauthenticatedWrites=true"
            )
        if self.function_url_auth == "NONE" and not self.allow_unauthenticated_writes:
            raise ValueError(
                "functionUrlAuth='NONE' is invalid: a public Function URL needs the explicit opt-out "
                "http.allowUnauthenticatedWrites=true"
            )
        return self


class ManagedInstancesSettings(_Config):
    """The Lambda Managed Instances capacity provider, for the functions whose contract places them on
    managed-instances (elsewhere, or with `enabled` false, they run on standard Lambda)."""

    enabled: bool = False
    vpc_id: (
        Annotated[str, Field(pattern=r"^vpc-[0-9a-f]+$", description="the id (vpc-...) of the subnets' VPC")] | None
    ) = None
    subnet_ids: Strings = ()
    security_group_ids: Strings = ()
    route_table_ids: Strings = ()
    max_vcpu: Annotated[int, Field(ge=2, le=15000)] = 16
    # Manual scaling needs scaling policies this stack does not configure yet: Auto only.
    scaling_mode: Literal["Auto"] = "Auto"
    min_environments: Annotated[int, Field(ge=0, le=15000, alias="minExecutionEnvironments")] = MI_MIN_ENVIRONMENTS
    max_environments: Annotated[int, Field(ge=1, le=15000, alias="maxExecutionEnvironments")] = 8

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> ManagedInstancesSettings:
        if not self.enabled:
            return self
        required = (
            ("subnetIds", self.subnet_ids, "set the private subnets the capacity provider launches into"),
            ("securityGroupIds", self.security_group_ids, "set at least one security group"),
            (
                "routeTableIds",
                self.route_table_ids,
                "set the subnets' route tables: the stack adds a DynamoDB gateway endpoint to them so the "
                "functions reach DynamoDB without NAT",
            ),
        )
        for key, value, hint in required:
            if not value:
                raise ValueError(f"{key}=[] is invalid: {hint}")
        if self.vpc_id is None:
            raise ValueError("vpcId=None is invalid: set the id (vpc-...) of the subnets' VPC")
        if len(set(self.subnet_ids)) < MI_MIN_SUBNETS:
            raise ValueError(
                f"subnetIds={list(self.subnet_ids)} is invalid: set at least {MI_MIN_SUBNETS} subnets, each in "
                "its own Availability Zone (AWS's Managed Instances guidance: an AZ's loss must leave capacity)"
            )
        if self.min_environments < MI_MIN_ENVIRONMENTS:
            raise ValueError(
                f"minExecutionEnvironments={self.min_environments} is invalid: set at least {MI_MIN_ENVIRONMENTS} "
                "(one per Availability Zone, Lambda's own default), or leave it unset"
            )
        if self.min_environments > self.max_environments:
            raise ValueError(
                f"minExecutionEnvironments={self.min_environments} is invalid: set at most "
                f"managedInstances.maxExecutionEnvironments ({self.max_environments})"
            )
        return self


class FunctionTraffic(_Config):
    """A function's expected traffic, for the cost estimate (offline.preview prints it): a rate, in
    requests a month or sustained requests per second, and optionally the average duration (else the
    bench's figure or CloudWatch's is used). A scheduled function's rate comes from its schedule."""

    requests_per_month: Annotated[int, Field(ge=0, le=10**12, description="invocations a month")] | None = None
    requests_per_second: (
        Annotated[
            float,
            Field(ge=0, le=1_000_000, description="a number from 0 to 1000000 (sustained invocations per second)"),
        ]
        | None
    ) = None
    duration_ms: (
        Annotated[
            float,
            Field(gt=0, le=900_000, description="a number above 0, at most 900000 (the average duration in ms)"),
        ]
        | None
    ) = None


LogRetentionDays = Literal[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
]  # fmt: skip


class StackConfig(_Config):
    """Every key of the project's config namespace (it holds no secret: secrets are seeded outside Pulumi)."""

    log_retention_days: Annotated[LogRetentionDays, Field(description="a CloudWatch Logs retention period, in days")]
    xray_tracing: bool
    functions: dict[str, FunctionOverride]
    alarms: AlarmSettings
    http: HttpSettings
    managed_instances: ManagedInstancesSettings
    deployment: DeploymentSettings
    log_level: LogLevel
    telemetry_extension: bool
    open_telemetry: OpenTelemetrySettings
    secret_kms_key_arn: Annotated[
        str,
        Field(
            pattern=r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/\S+)?$",
            description="the ARN of a KMS key (arn:aws:kms:...) or leave it empty",
        ),
    ]
    tags: dict[str, str]
    traffic: dict[str, FunctionTraffic]

    @model_validator(mode="after")
    def _fits_the_functions(self, info: ValidationInfo) -> StackConfig:
        contracts: Sequence[FunctionContract] = (info.context or {}).get("contracts", ())
        names = [c.name for c in contracts]
        for section, per_function in (("functions", self.functions), ("traffic", self.traffic)):
            unknown = sorted(set(per_function) - set(names))
            if unknown:
                raise ValueError(f"{section} has unknown functions {unknown}: the functions are {', '.join(names)}")
        for name, traffic in self.traffic.items():
            if traffic.requests_per_month is not None and traffic.requests_per_second is not None:
                raise ValueError(f"traffic.{name} sets both requestsPerMonth and requestsPerSecond: set one of them")
        versions_on_provider = 0
        for contract in contracts:
            function = resolve_function(contract, self)
            key = f"functions.{contract.name}"
            override = self.functions.get(contract.name, FunctionOverride())
            on_managed_instances = function.managed_instances is not None
            if on_managed_instances and function.memory < MI_MIN_FUNCTION_MEMORY_MB:
                raise ValueError(
                    f"{key}.memory={function.memory} is invalid: functions on Managed Instances need at least "
                    f"{MI_MIN_FUNCTION_MEMORY_MB} MB: set {key}.memory to {MI_MIN_FUNCTION_MEMORY_MB} or more"
                )
            provisioned = function.provisioned_concurrency
            if provisioned is not None and on_managed_instances:
                raise ValueError(
                    f"{key}.provisionedConcurrency={provisioned} is invalid: a function on Managed Instances keeps "
                    "its execution environments warm already (managedInstances.minExecutionEnvironments): remove it"
                )
            reserved = function.reserved_concurrency
            if provisioned is not None and reserved is not None and provisioned > reserved:
                raise ValueError(
                    f"{key}.provisionedConcurrency={provisioned} is invalid: set at most {key}.reservedConcurrency "
                    f"({reserved})"
                )
            level = function.log_level
            otel = self.open_telemetry
            if otel.enabled and otel.exporter == "logs" and level not in LEVELS_THAT_KEEP_SPAN_LINES:
                where = f"{key}.logLevel" if override.log_level else "logLevel"
                raise ValueError(
                    f"{where}={level!r} is invalid with openTelemetry.exporter logs: the span lines go out at ERROR at "
                    f"most and Lambda drops lines below {level}: set ERROR or a lower level, or set "
                    "openTelemetry.exporter to collector"
                )
            if function.telemetry_extension and level not in LEVELS_THAT_KEEP_METRICS:
                where = f"{key}.logLevel" if override.log_level else "logLevel"
                raise ValueError(
                    f"{where}={function.log_level!r} is invalid with the telemetry extension attached to "
                    f"{contract.name}: Lambda drops lines below that level, the extension's metric lines among them: "
                    f"set INFO, DEBUG or TRACE, or set {key}.telemetryExtension to false"
                )
            if on_managed_instances:
                # The live version, the retained ones and the one being released.
                versions_on_provider += function.deployment.retain_versions + 2
        if versions_on_provider > MI_MAX_VERSIONS_PER_PROVIDER:
            raise ValueError(
                f"deployment.retainVersions keeps up to {versions_on_provider} function versions on the capacity "
                f"provider, which holds at most {MI_MAX_VERSIONS_PER_PROVIDER} (not raisable): keep fewer versions "
                "(per function: functions.<name>.deployment.retainVersions)"
            )
        return self


# --- the settings as the program uses them -------------------------------------------------------


@dataclass(frozen=True)
class ManagedInstancesPlacement:
    """How a function runs on the stack's capacity provider: its contract's settings and the stack's
    execution environment bounds (set per published version by the release step)."""

    max_concurrency: int
    memory_gib_per_vcpu: int
    min_environments: int
    max_environments: int


@dataclass(frozen=True)
class FunctionSettings:
    """One function's deploy settings: its contract, with this stack's overrides applied (resolve_function)."""

    memory: int
    timeout: int
    reserved_concurrency: int | None = None
    provisioned_concurrency: int | None = None
    deployment: DeploymentSettings = field(default_factory=DeploymentSettings)
    # Lambda's application log level for the function (AWS_LAMBDA_LOG_LEVEL).
    log_level: str = "INFO"
    # Whether the telemetry extension's layer is attached.
    telemetry_extension: bool = True
    # Where it runs: on the capacity provider (this), or on standard Lambda (None).
    managed_instances: ManagedInstancesPlacement | None = None
    # A rejected version the user asked to release again (functions.<name>.retryVersion).
    retry_version: int | None = None


def resolve_function(contract: FunctionContract, config: StackConfig) -> FunctionSettings:
    """The one place a function's contract and the stack's config (its defaults, then the function's
    override) become its settings: validation and the program both read these."""
    override = config.functions.get(contract.name, FunctionOverride())
    compute = contract.compute
    placement = None
    if config.managed_instances.enabled and isinstance(compute, ManagedInstancesCompute):
        placement = ManagedInstancesPlacement(
            max_concurrency=compute.max_concurrency,
            memory_gib_per_vcpu=compute.memory_gib_per_vcpu,
            min_environments=config.managed_instances.min_environments,
            max_environments=config.managed_instances.max_environments,
        )
    return FunctionSettings(
        memory=override.memory or contract.memory,
        timeout=override.timeout or contract.timeout,
        reserved_concurrency=override.reserved_concurrency,
        provisioned_concurrency=override.provisioned_concurrency,
        deployment=override.deployment or config.deployment,
        log_level=override.resolved_log_level(config.log_level),
        telemetry_extension=override.resolved_telemetry_extension(config.telemetry_extension),
        managed_instances=placement,
        retry_version=override.retry_version,
    )


@dataclass(frozen=True)
class StackSettings:
    project: str
    stack: str
    # The AWS provider's region (`aws:region`, the one place a stack sets it).
    region: str
    log_retention_days: int
    xray_tracing: bool
    functions: dict[str, FunctionSettings]
    alarms: AlarmSettings
    http: HttpSettings
    managed_instances: ManagedInstancesSettings
    secret_kms_key_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    traffic: dict[str, FunctionTraffic] = field(default_factory=dict)
    open_telemetry: OpenTelemetrySettings = field(default_factory=OpenTelemetrySettings)


def _raw_values(source: ConfigSource) -> dict[str, Any]:
    """Each key's value as the CLI hands it over: text for string keys, JSON for the others."""
    values: dict[str, Any] = {}
    for name, info in StackConfig.model_fields.items():
        key = info.alias or name
        raw = source.get(key)
        if raw is None or info.annotation is str:
            values[key] = raw
            continue
        try:
            values[key] = json.loads(raw)
        except json.JSONDecodeError:
            values[key] = raw  # the model reports it as the wrong type, naming the key
    return {k: v for k, v in values.items() if v is not None}


def load(
    source: ConfigSource, contracts: Sequence[FunctionContract], project: str, stack: str, region: str
) -> StackSettings:
    """Reads and validates every key; raises ConfigError naming every bad one."""
    try:
        config = StackConfig.model_validate_json(json.dumps(_raw_values(source)), context={"contracts": contracts})
    except ValidationError as error:
        raise ConfigError("\n".join(f"config {problem}" for problem in describe(error, StackConfig))) from None
    functions = {contract.name: resolve_function(contract, config) for contract in contracts}
    return StackSettings(
        project=project,
        stack=stack,
        region=region,
        log_retention_days=config.log_retention_days,
        xray_tracing=config.xray_tracing,
        functions=functions,
        alarms=config.alarms,
        http=config.http,
        managed_instances=config.managed_instances,
        secret_kms_key_arn=config.secret_kms_key_arn or None,
        tags={"project": project, "stack": stack, **config.tags},
        traffic=config.traffic,
        open_telemetry=config.open_telemetry,
    )


def project_config_defaults(project_file: Path = PROJECT_FILE) -> dict[str, str]:
    """The defaults Pulumi.yaml declares for the project's config keys, as the CLI hands them to the
    program (text; JSON for numbers, booleans and objects)."""
    declared: Mapping[str, Any] = (yaml.safe_load(project_file.read_text()) or {}).get("config") or {}
    defaults: dict[str, str] = {}
    for key, spec in declared.items():
        if isinstance(spec, Mapping) and "default" in spec:
            value = spec["default"]
            defaults[key] = value if isinstance(value, str) else json.dumps(value)
    return defaults
