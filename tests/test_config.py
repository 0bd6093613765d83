"""Stack config validation: each bad value fails at program start with a message that names the
key, the value and what is allowed."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from model.contract import FunctionContract
from model.stack_config import (
    PROJECT_FILE,
    ConfigError,
    FunctionTraffic,
    ManagedInstancesPlacement,
    StackConfig,
    StackSettings,
    load,
    project_config_defaults,
)


class DictSource:
    """What the program reads through pulumi.Config, as the CLI hands it over: the stack's values over
    Pulumi.yaml's defaults, as text (JSON for numbers, booleans and objects)."""

    def __init__(self, values: dict[str, Any]) -> None:
        given = {key: value if isinstance(value, str) else json.dumps(value) for key, value in values.items()}
        self.values = {**project_config_defaults(), **given}

    def get(self, key: str) -> str | None:
        return self.values.get(key)


MI_ON: dict[str, Any] = {
    "enabled": True,
    "vpcId": "vpc-1",
    "subnetIds": ["subnet-1", "subnet-2", "subnet-3"],
    "securityGroupIds": ["sg-1"],
    "routeTableIds": ["rtb-1"],
}


def settings(contracts: dict[str, FunctionContract], **values: Any) -> StackSettings:
    return load(DictSource(values), list(contracts.values()), "rustlambda", "test", "eu-west-1")


def test_defaults(contracts: dict[str, FunctionContract]) -> None:
    s = settings(contracts)
    assert (s.log_retention_days, s.xray_tracing, s.http.auth, s.http.function_url_auth) == (14, True, "iam", "AWS_IAM")
    assert s.functions["http-api"].memory == 128
    assert s.managed_instances.enabled is False
    assert s.tags == {"project": "rustlambda", "stack": "test"}


def test_managed_instances_with_enough_memory(contracts: dict[str, FunctionContract]) -> None:
    s = settings(contracts, managedInstances=MI_ON, functions={"lmi-worker": {"memory": 2048}})
    assert (s.managed_instances.enabled, s.managed_instances.max_vcpu) == (True, 16)
    # Placed by the contract (compute = managed-instances), bounded by the stack.
    assert s.functions["lmi-worker"].managed_instances == ManagedInstancesPlacement(
        max_concurrency=64, memory_gib_per_vcpu=2, min_environments=3, max_environments=8
    )
    assert s.functions["sqs-processor"].managed_instances is None
    # With Managed Instances off, the same contract runs on standard Lambda.
    assert settings(contracts).functions["lmi-worker"].managed_instances is None


def test_retention_fits_the_capacity_providers_100_versions(contracts: dict[str, FunctionContract]) -> None:
    workers = [FunctionContract(f"worker-{n}", contracts["lmi-worker"].metadata) for n in range(5)]
    values = DictSource(
        {
            "managedInstances": MI_ON,
            "deployment": {"retainVersions": 20},
            "functions": {w.name: {"memory": 2048} for w in workers},
        }
    )
    with pytest.raises(ConfigError) as error:
        load(values, workers, "rustlambda", "test", "eu-west-1")
    assert str(error.value) == (
        "config deployment.retainVersions keeps up to 110 function versions on the capacity provider, which holds "
        "at most 100 (not raisable): keep fewer versions (per function: functions.<name>.deployment.retainVersions)"
    )
    fits = DictSource(
        {
            "managedInstances": MI_ON,
            "deployment": {"retainVersions": 18},
            "functions": {w.name: {"memory": 2048} for w in workers},
        }
    )
    assert len(load(fits, workers, "rustlambda", "test", "eu-west-1").functions) == 5


def test_release_retention_and_retry_per_function(contracts: dict[str, FunctionContract]) -> None:
    s = settings(
        contracts,
        deployment={"style": "canary", "retainVersions": 5},
        functions={"http-api": {"retryVersion": 7, "deployment": {"style": "linear", "minutes": 2}}},
    )
    assert (s.functions["http-api"].retry_version, s.functions["sqs-processor"].retry_version) == (7, None)
    assert (
        s.functions["sqs-processor"].deployment.retain_versions,
        s.functions["http-api"].deployment.retain_versions,
    ) == (5, 2)
    # The window an alarm must fire in: the shortest traffic step.
    assert [s.functions[f].deployment.interval_minutes for f in ("sqs-processor", "http-api")] == [5, 2]
    assert settings(contracts).functions["sqs-processor"].deployment.interval_minutes == 1


def test_traffic_per_function(contracts: dict[str, FunctionContract]) -> None:
    s = settings(
        contracts,
        traffic={"http-api": {"requestsPerSecond": 20, "durationMs": 12.5}, "sqs-processor": {"requestsPerMonth": 0}},
    )
    assert s.traffic == {
        "http-api": FunctionTraffic(requests_per_second=20.0, duration_ms=12.5),
        "sqs-processor": FunctionTraffic(requests_per_month=0),
    }


ADOT_ARN = "arn:aws:lambda:eu-west-1:901920570463:layer:aws-otel-collector-arm64-ver-0-117-0:1"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"traffic": {"http-api": {"requestsPerSecond": -1}}},
            "config traffic.http-api.requestsPerSecond=-1 is invalid: set a number from 0 to 1000000 (sustained "
            "invocations per second)",
        ),
        (
            {"traffic": {"http-api": {"requestsPerMonth": -5}}},
            "config traffic.http-api.requestsPerMonth=-5 is invalid: set a whole number from 0 to 1000000000000 "
            "(invocations a month)",
        ),
        (
            {"traffic": {"http-api": {"requestsPerMonth": 10, "durationMs": 0}}},
            "config traffic.http-api.durationMs=0 is invalid: set a number above 0, at most 900000 (the average "
            "duration in ms)",
        ),
        (
            {"traffic": {"http-api": {"requestsPerMonth": 10, "requestsPerSecond": 1}}},
            "config traffic.http-api sets both requestsPerMonth and requestsPerSecond: set one of them",
        ),
        (
            {"traffic": {"orders-api": {"requestsPerSecond": 1}}},
            "config traffic has unknown functions ['orders-api']: the functions are http-api, lmi-worker, "
            "s3-processor, scheduled-job, sqs-processor",
        ),
        (
            {"traffic": {"http-api": {"rps": 1}}},
            "config traffic.http-api has unknown keys ['rps']: allowed keys are requestsPerMonth, "
            "requestsPerSecond, durationMs",
        ),
        ({"logRetentionDays": 10}, "config logRetentionDays=10 is invalid: set one of 1, 3, 5, 7, 14, 30"),
        ({"logRetentionDays": "a week"}, "config logRetentionDays='a week' is invalid: set one of 1, 3, 5, 7, 14"),
        ({"xrayTracing": "yes"}, "config xrayTracing='yes' is invalid: set true or false"),
        (
            {"functions": {"http-api": {"memory": 64}}},
            "config functions.http-api.memory=64 is invalid: set a whole number from 128 to 10240 (memory size in MB)",
        ),
        (
            {"functions": {"http-api": {"reservedConcurrency": -1}}},
            "config functions.http-api.reservedConcurrency=-1 is invalid: set a whole number from 0 to 10000",
        ),
        (
            {"functions": {"http-api": {"timeout": 901}}},
            "config functions.http-api.timeout=901 is invalid: set a whole number from 1 to 900 (timeout in seconds)",
        ),
        (
            {"functions": {"nope": {"memory": 256}}},
            "config functions has unknown functions ['nope']: the functions are http-api, lmi-worker, "
            "s3-processor, scheduled-job, sqs-processor",
        ),
        (
            {"functions": {"http-api": {"memroy": 256}}},
            "config functions.http-api has unknown keys ['memroy']: allowed keys are memory, timeout, "
            "reservedConcurrency",
        ),
        ({"http": {"auth": "basic"}}, "config http.auth='basic' is invalid: set one of jwt, iam, none"),
        (
            {"http": {"auth": "iam", "jwtIssuer": "http://x"}},
            "config http.jwtIssuer='http://x' is invalid: set the issuer URL (https://...)",
        ),
        ({"alarms": {"errors": 0}}, "config alarms.errors=0 is invalid: set a whole number from 1 to 1000000"),
        ({"tags": {"team": 7}}, "config tags.team=7 is invalid: set a string"),
        (
            {"http": {"auth": "none"}},
            "config http.auth='none' is invalid: routes that change data need an authorizer: set http.auth to jwt "
            "or iam, or opt out explicitly with http.allowUnauthenticatedWrites=true",
        ),
        (
            {"http": {"auth": "jwt", "jwtAudience": ["a"]}},
            "config http.jwtIssuer=None is invalid: http.auth is jwt: set the issuer URL (https://...)",
        ),
        (
            {"http": {"functionUrlAuth": "NONE"}},
            "config http.functionUrlAuth='NONE' is invalid: a public Function URL needs the explicit opt-out "
            "http.allowUnauthenticatedWrites=true",
        ),
        (
            {"alarms": {"topicArn": "oncall"}},
            "config alarms.topicArn='oncall' is invalid: set the ARN of an SNS topic (arn:aws:sns:...) or "
            "leave it unset",
        ),
        (
            {"managedInstances": MI_ON},
            "config functions.lmi-worker.memory=128 is invalid: functions on Managed Instances need at least 2048 MB: "
            "set functions.lmi-worker.memory to 2048 or more",
        ),
        (
            {"managedInstances": {**MI_ON, "subnetIds": []}, "functions": {"lmi-worker": {"memory": 2048}}},
            "config managedInstances.subnetIds=[] is invalid: set the private subnets the capacity provider "
            "launches into",
        ),
        (
            {
                "managedInstances": {**MI_ON, "subnetIds": ["subnet-1", "subnet-2", "subnet-1"]},
                "functions": {"lmi-worker": {"memory": 2048}},
            },
            "config managedInstances.subnetIds=['subnet-1', 'subnet-2', 'subnet-1'] is invalid: set at least 3 "
            "subnets, each in its own Availability Zone (AWS's Managed Instances guidance: an AZ's loss must leave "
            "capacity)",
        ),
        (
            {
                "managedInstances": {**MI_ON, "minExecutionEnvironments": 2},
                "functions": {"lmi-worker": {"memory": 2048}},
            },
            "config managedInstances.minExecutionEnvironments=2 is invalid: set at least 3 (one per Availability "
            "Zone, Lambda's own default), or leave it unset",
        ),
        (
            {"deployment": {"retainVersions": 21}},
            "config deployment.retainVersions=21 is invalid: set a whole number from 0 to 20 (previous versions kept "
            "besides the live one (older ones are deleted))",
        ),
        (
            {"functions": {"http-api": {"retryVersion": 0}}},
            "config functions.http-api.retryVersion=0 is invalid: set a whole number (the number of a version the "
            "release step rejected, to release again)",
        ),
        (
            {"managedInstances": {**MI_ON, "maxVcpu": 1}, "functions": {"lmi-worker": {"memory": 2048}}},
            "config managedInstances.maxVcpu=1 is invalid: set a whole number from 2 to 15000",
        ),
        (
            {"managedInstances": {**MI_ON, "scalingMode": "Fast"}, "functions": {"lmi-worker": {"memory": 2048}}},
            "config managedInstances.scalingMode='Fast' is invalid: set one of Auto",
        ),
        (
            {"managedInstances": {**MI_ON, "routeTableIds": []}, "functions": {"lmi-worker": {"memory": 2048}}},
            "config managedInstances.routeTableIds=[] is invalid: set the subnets' route tables: the stack adds a "
            "DynamoDB gateway endpoint to them so the functions reach DynamoDB without NAT",
        ),
        (
            {
                "managedInstances": {**MI_ON, "minExecutionEnvironments": 5, "maxExecutionEnvironments": 4},
                "functions": {"lmi-worker": {"memory": 2048}},
            },
            "config managedInstances.minExecutionEnvironments=5 is invalid: set at most "
            "managedInstances.maxExecutionEnvironments (4)",
        ),
        (
            {"deployment": {"style": "blue-green"}},
            "config deployment.style='blue-green' is invalid: set one of all-at-once, canary, linear",
        ),
        (
            {"deployment": {"style": "canary", "minutes": 7}},
            "config deployment.minutes=7 is invalid: a canary deployment takes one of 5, 10, 15, 30 minutes "
            "(CodeDeploy's predefined configurations)",
        ),
        (
            {"functions": {"http-api": {"deployment": {"style": "linear", "minutes": 5}}}},
            "config functions.http-api.deployment.minutes=5 is invalid: a linear deployment takes one of 1, 2, 3, 10 "
            "minutes (CodeDeploy's predefined configurations)",
        ),
        (
            {"functions": {"http-api": {"provisionedConcurrency": 20, "reservedConcurrency": 10}}},
            "config functions.http-api.provisionedConcurrency=20 is invalid: set at most "
            "functions.http-api.reservedConcurrency (10)",
        ),
        (
            {"managedInstances": MI_ON, "functions": {"lmi-worker": {"memory": 2048, "provisionedConcurrency": 2}}},
            "config functions.lmi-worker.provisionedConcurrency=2 is invalid: a function on Managed Instances keeps "
            "its execution environments warm already (managedInstances.minExecutionEnvironments): remove it",
        ),
        (
            {"logLevel": "info"},
            "config logLevel='info' is invalid: set one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL (the level of the "
            "JSON lines Lambda keeps (AWS_LAMBDA_LOG_LEVEL in the function))",
        ),
        (
            {"functions": {"http-api": {"logLevel": "LOUD"}}},
            "config functions.http-api.logLevel='LOUD' is invalid: set one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL",
        ),
        (
            {"logLevel": "WARN"},
            "config logLevel='WARN' is invalid with the telemetry extension attached to http-api: Lambda drops lines "
            "below that level, the extension's metric lines among them: set INFO, DEBUG or TRACE, or set "
            "functions.http-api.telemetryExtension to false",
        ),
        (
            {"functions": {"lmi-worker": {"logLevel": "ERROR"}}},
            "config functions.lmi-worker.logLevel='ERROR' is invalid with the telemetry extension attached to "
            "lmi-worker: Lambda drops lines below that level, the extension's metric lines among them: set INFO, "
            "DEBUG or TRACE, or set functions.lmi-worker.telemetryExtension to false",
        ),
        ({"telemetryExtension": "yes"}, "config telemetryExtension='yes' is invalid: set true or false"),
        (
            {"functions": {"http-api": {"telemetryExtension": "no"}}},
            "config functions.http-api.telemetryExtension='no' is invalid: set true or false",
        ),
        (
            {"openTelemetry": {"enabled": True}},
            "config openTelemetry.collectorLayerArn=None is invalid: openTelemetry.enabled is true with exporter "
            "collector: set the ARN of the arm64 ADOT collector layer for the stack's region, or set exporter to logs",
        ),
        (
            {"openTelemetry": {"enabled": True, "exporter": "collector"}},
            "config openTelemetry.collectorLayerArn=None is invalid: openTelemetry.enabled is true with exporter "
            "collector: set the ARN of the arm64 ADOT collector layer for the stack's region, or set exporter to logs",
        ),
        (
            {"openTelemetry": {"enabled": True, "exporter": "logs", "collectorLayerArn": ADOT_ARN}},
            f"config openTelemetry.collectorLayerArn={ADOT_ARN!r} is invalid: openTelemetry.exporter is logs, which "
            "sends no spans to a collector: remove collectorLayerArn, or set exporter to collector",
        ),
        (
            {"openTelemetry": {"enabled": True, "exporter": "stdout"}},
            "config openTelemetry.exporter='stdout' is invalid: set one of collector, logs",
        ),
        (
            {"openTelemetry": {"enabled": True, "collectorLayerArn": "adot"}},
            "config openTelemetry.collectorLayerArn='adot' is invalid: set the ARN of an arm64 ADOT collector layer "
            "version (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)",
        ),
        (
            {"openTelemetry": {"enabeld": True}},
            "config openTelemetry has unknown keys ['enabeld']: allowed keys are enabled, exporter, sampler, "
            "samplingRatio, collectorLayerArn",
        ),
        (
            {"openTelemetry": {"enabled": True, "exporter": "logs", "sampler": "parentbased_traceidratio"}},
            "config openTelemetry.samplingRatio=None is invalid: sampler parentbased_traceidratio keeps a share of the "
            "traces: set samplingRatio from 0 to 1 (0.05 keeps 5%)",
        ),
        (
            {"openTelemetry": {"enabled": True, "exporter": "logs", "samplingRatio": 0.1}},
            "config openTelemetry.samplingRatio=0.1 is invalid: sampler parentbased_always_on takes no ratio: remove "
            "samplingRatio, or set sampler to parentbased_traceidratio or traceidratio",
        ),
        (
            {"openTelemetry": {"sampler": "traceidratio", "samplingRatio": 1.5}},
            "config openTelemetry.samplingRatio=1.5 is invalid: set the share of traces to keep, from 0 to 1 "
            "(0.05 is 5%)",
        ),
        (
            {"openTelemetry": {"sampler": "xray"}},
            "config openTelemetry.sampler='xray' is invalid: set one of parentbased_always_on, "
            "parentbased_traceidratio, parentbased_always_off, always_on, traceidratio, always_off",
        ),
        (
            {
                "openTelemetry": {"enabled": True, "exporter": "logs"},
                "telemetryExtension": False,
                "functions": {"lmi-worker": {"logLevel": "FATAL"}},
            },
            "config functions.lmi-worker.logLevel='FATAL' is invalid with openTelemetry.exporter logs: the span lines "
            "go out at ERROR at most and Lambda drops lines below FATAL: set ERROR or a lower level, or set "
            "openTelemetry.exporter to collector",
        ),
        (
            {"secretKmsKeyArn": "alias/mine"},
            "config secretKmsKeyArn='alias/mine' is invalid: set the ARN of a KMS key (arn:aws:kms:...) or "
            "leave it empty",
        ),
    ],
)
def test_each_bad_value_names_its_key(
    contracts: dict[str, FunctionContract], values: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        settings(contracts, **values)
    assert str(error.value).startswith(message)


def test_every_bad_value_is_reported_at_once(contracts: dict[str, FunctionContract]) -> None:
    with pytest.raises(ConfigError) as error:
        settings(contracts, logRetentionDays=10, alarms={"errors": 0, "dlqDepth": 0})
    assert [line.split(" is invalid")[0] for line in str(error.value).splitlines()] == [
        "config logRetentionDays=10",
        "config alarms.errors=0",
        "config alarms.dlqDepth=0",
    ]


def test_pulumi_yaml_declares_exactly_the_models_keys_and_only_top_level_defaults(
    contracts: dict[str, FunctionContract],
) -> None:
    """Pulumi.yaml holds each top-level key's default (the CLI needs it there); defaults inside an
    object value live in the models only, so Pulumi.yaml gives objects an empty default."""
    declared = yaml.safe_load(PROJECT_FILE.read_text())["config"]
    model_keys = {field.alias or name for name, field in StackConfig.model_fields.items()}
    # No secret: secrets are seeded outside Pulumi (components/secrets.py).
    assert [key for key, spec in declared.items() if spec.get("secret")] == []
    assert set(declared) == model_keys
    # Pulumi.yaml's types (the CLI checks them) are the JSON types of the model's keys.
    for key, prop in StackConfig.model_json_schema(by_alias=True)["properties"].items():
        expected = "object" if "$ref" in prop else prop["type"]
        assert declared[key]["type"] == expected, key
        assert declared[key].get("default") in (None, {}) or not isinstance(declared[key]["default"], dict), key


def test_each_function_takes_the_stacks_deployment_unless_it_sets_its_own(
    contracts: dict[str, FunctionContract],
) -> None:
    s = settings(
        contracts,
        deployment={"style": "canary"},
        functions={
            "scheduled-job": {"deployment": {"style": "all-at-once"}},
            "http-api": {"provisionedConcurrency": 2},
        },
    )
    assert s.functions["http-api"].deployment.codedeploy_config == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    assert s.functions["http-api"].provisioned_concurrency == 2
    assert s.functions["scheduled-job"].deployment.gradual is False
    assert settings(contracts).functions["sqs-processor"].deployment.style == "all-at-once"


def test_log_level_and_extension_per_stack_unless_a_function_sets_its_own(
    contracts: dict[str, FunctionContract],
) -> None:
    defaults = settings(contracts)
    assert {name: (f.log_level, f.telemetry_extension) for name, f in defaults.functions.items()} == {
        name: ("INFO", True) for name in contracts
    }
    assert (defaults.open_telemetry.enabled, defaults.open_telemetry.collector_layer_arn) == (False, None)
    s = settings(
        contracts,
        logLevel="DEBUG",
        functions={
            "lmi-worker": {"logLevel": "ERROR", "telemetryExtension": False},
            "scheduled-job": {"logLevel": "TRACE"},
        },
        openTelemetry={"enabled": True, "collectorLayerArn": ADOT_ARN},
    )
    assert {name: (f.log_level, f.telemetry_extension) for name, f in s.functions.items()} == {
        "http-api": ("DEBUG", True),
        "lmi-worker": ("ERROR", False),
        "s3-processor": ("DEBUG", True),
        "scheduled-job": ("TRACE", True),
        "sqs-processor": ("DEBUG", True),
    }
    assert (s.open_telemetry.enabled, s.open_telemetry.collector_layer_arn) == (True, ADOT_ARN)
    quiet = settings(contracts, logLevel="ERROR", telemetryExtension=False)
    assert {f.log_level for f in quiet.functions.values()} == {"ERROR"}
    assert not any(f.telemetry_extension for f in quiet.functions.values())


@pytest.mark.parametrize(
    ("open_telemetry", "environment"),
    [
        ({}, {}),
        ({"enabled": False, "exporter": "logs", "sampler": "always_off"}, {}),
        ({"enabled": True, "exporter": "logs"}, {"OTEL_TRACES_SAMPLER": "parentbased_always_on"}),
        ({"enabled": True, "exporter": "logs", "sampler": "always_off"}, {"OTEL_TRACES_SAMPLER": "always_off"}),
        (
            {"enabled": True, "exporter": "logs", "sampler": "parentbased_traceidratio", "samplingRatio": 0.05},
            {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.05"},
        ),
        (
            {"enabled": True, "collectorLayerArn": ADOT_ARN, "sampler": "traceidratio", "samplingRatio": 1},
            {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.0"},
        ),
    ],
)
def test_the_sampler_reaches_the_functions_as_the_sdks_env_vars(
    contracts: dict[str, FunctionContract], open_telemetry: dict[str, Any], environment: dict[str, str]
) -> None:
    assert settings(contracts, openTelemetry=open_telemetry).open_telemetry.environment == environment


@pytest.mark.parametrize(
    ("open_telemetry", "features", "layer"),
    [
        ({}, (), None),
        ({"enabled": False, "collectorLayerArn": ADOT_ARN}, (), None),
        ({"enabled": True, "collectorLayerArn": ADOT_ARN}, ("common/otel",), ADOT_ARN),
        ({"enabled": True, "exporter": "collector", "collectorLayerArn": ADOT_ARN}, ("common/otel",), ADOT_ARN),
        ({"enabled": True, "exporter": "logs"}, ("common/otel-lite",), None),
        ({"enabled": False, "exporter": "logs"}, (), None),
    ],
)
def test_the_open_telemetry_exporter_picks_the_cargo_feature_and_the_collector_layer(
    contracts: dict[str, FunctionContract],
    open_telemetry: dict[str, Any],
    features: tuple[str, ...],
    layer: str | None,
) -> None:
    chosen = settings(contracts, openTelemetry=open_telemetry).open_telemetry
    assert (chosen.cargo_features, chosen.collector_layer) == (features, layer)
