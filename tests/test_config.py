"""Stack config validation: each bad value fails at program start with a message that names the
key, the value and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from model.contract import FunctionContract
from model.stack_config import ConfigError, StackSettings, load, secret_config_key


class DictSource:
    """What the program reads through pulumi.Config, from a dict."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        return None if value is None else str(value)

    def get_int(self, key: str) -> int | None:
        value = self.values.get(key)
        return None if value is None else int(value)

    def get_bool(self, key: str) -> bool | None:
        value = self.values.get(key)
        return None if value is None else bool(value)

    def get_object(self, key: str) -> Any:
        return self.values.get(key)


MI_ON: dict[str, Any] = {
    "enabled": True,
    "vpcId": "vpc-1",
    "subnetIds": ["subnet-1"],
    "securityGroupIds": ["sg-1"],
    "routeTableIds": ["rtb-1"],
}


def settings(contracts: dict[str, FunctionContract], **values: Any) -> StackSettings:
    return load(DictSource(values), list(contracts.values()), "rustlambda", "test")


def test_defaults(contracts: dict[str, FunctionContract]) -> None:
    s = settings(contracts)
    assert (s.log_retention_days, s.xray_tracing, s.http.auth, s.http.function_url_auth) == (14, True, "iam", "AWS_IAM")
    assert s.functions["http-api"].memory == 128
    assert s.managed_instances.enabled is False
    assert s.tags == {"project": "rustlambda", "stack": "test"}


def test_managed_instances_with_enough_memory(contracts: dict[str, FunctionContract]) -> None:
    s = settings(contracts, managedInstances=MI_ON, functions={"lmi-worker": {"memory": 2048}})
    assert (s.managed_instances.enabled, s.managed_instances.max_vcpu) == (True, 16)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"logRetentionDays": 10}, "config logRetentionDays=10 is invalid: set one of 1, 3, 5, 7, 14, 30"),
        (
            {"functions": {"http-api": {"memory": 64}}},
            "config functions.http-api.memory=64 is invalid: set a whole number from 128 to 10240",
        ),
        (
            {"functions": {"http-api": {"timeout": 901}}},
            "config functions.http-api.timeout=901 is invalid: set a whole number from 1 to 900",
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
                "managedInstances": {**MI_ON, "minExecutionEnvironments": 5, "maxExecutionEnvironments": 2},
                "functions": {"lmi-worker": {"memory": 2048}},
            },
            "config managedInstances.minExecutionEnvironments=5 is invalid: set at most "
            "managedInstances.maxExecutionEnvironments (2)",
        ),
        (
            {"secretKmsKeyArn": "alias/mine"},
            "config secretKmsKeyArn='alias/mine' is invalid: set the ARN of a KMS key (arn:aws:kms:...) or "
            "leave it unset",
        ),
    ],
)
def test_each_bad_value_names_its_key(
    contracts: dict[str, FunctionContract], values: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        settings(contracts, **values)
    assert str(error.value).startswith(message)


def test_secret_config_keys_are_camel_case() -> None:
    assert secret_config_key("manifest-signing-key") == "manifestSigningKey"
    assert secret_config_key("token") == "token"
