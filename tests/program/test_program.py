"""The program's resources and the properties that matter, for the dev and prod stacks, as the
real program registers them under Pulumi's mock monitor (with the real arm64 build)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from model.contract import FunctionContract
from tests.program.plans import REPO_ROOT, TEST_SECRET, Plan, run_plan

ACCOUNT = "123456789012"
# The dev and prod stacks deploy to eu-west-1 (aws:region in their stack files): the offline engine too.
REGION = "eu-west-1"
SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"


def statements(plan: Plan, crate: str) -> list[dict[str, Any]]:
    policy: list[dict[str, Any]] = json.loads(plan.inputs(f"{crate}-fn-policy")["policy"])["Statement"]
    return policy


def test_every_function_is_al2023_arm64_bootstrap(dev: Plan, contracts: dict[str, FunctionContract]) -> None:
    for crate, contract in contracts.items():
        fn = dev.inputs(f"{crate}-fn-function")
        assert (fn["runtime"], fn["architectures"], fn["handler"]) == ("provided.al2023", ["arm64"], "bootstrap")
        assert fn["name"] == f"rustlambda-dev-{crate}"
        assert (fn["memorySize"], fn["timeout"]) == (float(contract.memory), float(contract.timeout))
        assert fn["loggingConfig"] == {
            "logFormat": "JSON",
            "logGroup": f"/aws/lambda/rustlambda-dev-{crate}",
            "applicationLogLevel": "INFO",
            "systemLogLevel": "WARN",
        }
        assert fn["tracingConfig"] == {"mode": "PassThrough"}  # dev turns X-Ray off
        logs = dev.inputs(f"{crate}-fn-logs")
        assert (logs["name"], logs["retentionInDays"]) == (f"/aws/lambda/rustlambda-dev-{crate}", 7.0)


def test_env_vars_are_the_contract_settings_and_references(dev: Plan) -> None:
    env = {
        crate: dev.inputs(f"{crate}-fn-function")["environment"]["variables"] for crate in ("http-api", "s3-processor")
    }
    assert env["http-api"] == {"RUST_LOG": "info", "ITEMS_TABLE": "rustlambda-dev-items"}
    s3_env = env["s3-processor"]
    assert set(s3_env) == {
        "RUST_LOG",
        "SECRET_TTL_SECONDS",
        "MANIFEST_PREFIX",
        "INPUT_BUCKET",
        "OUTPUT_BUCKET",
        "SIGNING_KEY_SECRET_ARN",
    }
    assert (
        s3_env["SIGNING_KEY_SECRET_ARN"]
        == f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rustlambda-dev/manifest-signing-key-AbCdEf"
    )
    assert s3_env["INPUT_BUCKET"].startswith("rustlambda-dev-uploads-")
    assert s3_env["OUTPUT_BUCKET"].startswith("rustlambda-dev-manifests-")


def test_roles_trust_lambda_of_this_account_only(dev: Plan, contracts: dict[str, FunctionContract]) -> None:
    for crate in contracts:
        trust = json.loads(dev.inputs(f"{crate}-fn-role")["assumeRolePolicy"])
        assert trust["Statement"] == [
            {
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
            }
        ]


def test_each_statement_is_scoped_to_an_exact_resource(dev: Plan) -> None:
    items = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/rustlambda-dev-items"
    logs = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/rustlambda-dev-http-api:*"
    assert statements(dev, "http-api") == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": [logs],
            "Sid": "WriteOwnLogs",
        },
        {
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
            "Effect": "Allow",
            "Resource": [items],
            "Sid": "TableItems",
        },
    ]
    scheduled = {s["Sid"]: s for s in statements(dev, "scheduled-job")}
    assert scheduled["TableItems"]["Action"] == ["dynamodb:BatchWriteItem", "dynamodb:Scan"]
    assert scheduled["SendFailedEvents"] == {
        "Action": ["sqs:SendMessage"],
        "Effect": "Allow",
        "Resource": [f"arn:aws:sqs:{REGION}:{ACCOUNT}:rustlambda-dev-scheduled-job-failures"],
        "Sid": "SendFailedEvents",
    }
    sqs = {s["Sid"]: s for s in statements(dev, "sqs-processor")}
    assert sqs["ConsumeQueue"]["Action"] == ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
    assert sqs["ConsumeQueue"]["Resource"] == [f"arn:aws:sqs:{REGION}:{ACCOUNT}:rustlambda-dev-sqs-processor"]
    s3 = {s["Sid"]: s for s in statements(dev, "s3-processor")}
    # Only the prefixes the contract declares: it reads incoming/ and writes manifests/.
    uploads, manifests = (
        "arn:aws:s3:::rustlambda-dev-uploads-20261127",
        "arn:aws:s3:::rustlambda-dev-manifests-20261127",
    )
    assert (s3["BucketUploads"]["Action"], s3["BucketUploads"]["Resource"]) == (
        ["s3:GetObject"],
        [f"{uploads}/incoming/*"],
    )
    assert (s3["BucketManifests"]["Action"], s3["BucketManifests"]["Resource"]) == (
        ["s3:PutObject"],
        [f"{manifests}/manifests/*"],
    )
    # ...where the function writes its manifests.
    assert dev.inputs("s3-processor-fn-function")["environment"]["variables"]["MANIFEST_PREFIX"] == "manifests/"
    assert s3["SecretManifestSigningKey"] == {
        "Action": ["secretsmanager:GetSecretValue"],
        "Effect": "Allow",
        "Resource": [f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rustlambda-dev/manifest-signing-key-AbCdEf"],
        "Sid": "SecretManifestSigningKey",
    }


def test_no_wildcard_actions_and_wildcard_resources_only_for_xray(dev: Plan, prod: Plan) -> None:
    for plan in (dev, prod):
        for policy in plan.of_type("aws:iam/rolePolicy:RolePolicy"):
            for statement in json.loads(policy["inputs"]["policy"])["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert not any(a == "*" or a.endswith(":*") for a in actions), (policy["name"], statement)
                if "*" in statement["Resource"]:
                    # X-Ray's PutTraceSegments/PutTelemetryRecords accept no resource narrower than *.
                    assert statement["Sid"] == "XRayTracing", (policy["name"], statement)


def test_sqs_queue_dlq_and_mapping(dev: Plan) -> None:
    queue = dev.inputs("sqs-processor-queue-queue")
    assert queue["visibilityTimeoutSeconds"] == 180.0  # 6 x the 30 s timeout
    assert json.loads(queue["redrivePolicy"]) == {
        "deadLetterTargetArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:rustlambda-dev-sqs-processor-dlq",
        "maxReceiveCount": 5,
    }
    mapping = dev.named("sqs-processor-sqs-mapping")
    assert mapping["inputs"]["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert (mapping["inputs"]["batchSize"], mapping["inputs"]["maximumBatchingWindowInSeconds"]) == (10.0, 5.0)
    # Created on the live alias, after the function, which is created after its role policy.
    function = dev.named("sqs-processor-fn-function")
    alias = dev.named("sqs-processor-fn-live")
    assert (
        mapping["inputs"]["functionName"]
        == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:rustlambda-dev-sqs-processor:live"
    )
    assert alias["urn"] in mapping["dependencies"]
    assert function["urn"] in alias["dependencies"]
    assert dev.named("sqs-processor-fn-policy")["urn"] in function["dependencies"]


def test_s3_notification_after_permission_with_source_arn_and_account(dev: Plan) -> None:
    permission = dev.named("s3-processor-s3-permission")
    assert permission["inputs"]["principal"] == "s3.amazonaws.com"
    assert permission["inputs"]["sourceAccount"] == ACCOUNT
    assert permission["inputs"]["sourceArn"].startswith("arn:aws:s3:::rustlambda-dev-uploads-")
    notification = dev.named("s3-processor-s3-notification")
    assert permission["urn"] in notification["dependencies"]
    (target,) = notification["inputs"]["lambdaFunctions"]
    assert (target["events"], target["filterPrefix"]) == (["s3:ObjectCreated:*"], "incoming/")
    assert (
        notification["inputs"]["bucket"]
        != dev.inputs("s3-processor-fn-function")["environment"]["variables"]["OUTPUT_BUCKET"]
    )


def test_buckets_are_private_and_encrypted(dev: Plan) -> None:
    for access in dev.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"):
        assert all(
            access["inputs"][k] is True
            for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        )
    assert (
        len(dev.of_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")) == 2
    )


def test_schedule_rule_target_and_permission(dev: Plan) -> None:
    rule = dev.inputs("scheduled-job-schedule-rule")
    assert rule["scheduleExpression"] == "rate(1 hour)"
    permission = dev.inputs("scheduled-job-schedule-permission")
    assert (permission["principal"], permission["sourceArn"]) == (
        "events.amazonaws.com",
        f"arn:aws:events:{REGION}:{ACCOUNT}:rule/rustlambda-dev-scheduled-job",
    )


def test_tables_have_pitr_and_encryption(dev: Plan) -> None:
    tables = {t["inputs"]["name"]: t["inputs"] for t in dev.of_type("aws:dynamodb/table:Table")}
    assert sorted(tables) == ["rustlambda-dev-items", "rustlambda-dev-orders"]
    for table in tables.values():
        assert table["pointInTimeRecovery"] == {"enabled": True}
        assert table["serverSideEncryption"]["enabled"] is True
        assert table["billingMode"] == "PAY_PER_REQUEST"


def test_prod_overrides_and_managed_instances(prod: Plan) -> None:
    api = prod.inputs("http-api-fn-function")
    assert (api["memorySize"], api["reservedConcurrentExecutions"]) == (256.0, 100.0)
    worker = prod.named("lmi-worker-fn-function")
    config = worker["inputs"]["capacityProviderConfig"]["lambdaManagedInstancesCapacityProviderConfig"]
    assert config == {
        "capacityProviderArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:capacity-provider:rustlambda-prod",
        "executionEnvironmentMemoryGibPerVcpu": 2.0,
        "perExecutionEnvironmentMaxConcurrency": 64.0,
    }
    assert (worker["inputs"]["publish"], worker["inputs"]["publishTo"], worker["inputs"]["memorySize"]) == (
        True,
        "LATEST_PUBLISHED",
        2048.0,
    )
    assert worker["replace_on_changes"] == ["capacityProviderConfig"]
    scaling = prod.inputs("lmi-worker-fn-scaling")
    assert scaling["qualifier"] == "$LATEST.PUBLISHED"
    assert scaling["functionScalingConfig"] == {"minExecutionEnvironments": 2.0, "maxExecutionEnvironments": 8.0}
    assert prod.outputs["functionArns"]["lmi-worker"].endswith(":live"), "invokers target the live alias"


def test_dev_runs_everything_on_classic_lambda(dev: Plan) -> None:
    assert dev.of_type("aws:lambda/capacityProvider:CapacityProvider") == []
    assert "capacityProviderConfig" not in dev.inputs("lmi-worker-fn-function")


# Maps whose keys are the user's (env var names, tag keys), not provider property names.
FREE_FORM_MAPS = ("variables", "tags", "tagsAll")


def walk_keys(value: Any, path: str = "") -> list[str]:
    """Every dict key path, skipping free-form maps (env vars, tags) and secret payloads."""
    found: list[str] = []
    if isinstance(value, dict):
        if SECRET_SIGNATURE in value:
            return found
        for key, child in value.items():
            here = f"{path}.{key}" if path else key
            found.append(here)
            if key not in FREE_FORM_MAPS:
                found.extend(walk_keys(child, here))
    elif isinstance(value, list):
        for child in value:
            found.extend(walk_keys(child, path + "[]"))
    return found


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_input_key_is_left_untranslated(stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(stack)
    for registration in plan.registrations:
        if not registration["custom"]:
            continue
        inputs = registration["inputs"]
        if registration["type"] == "command:local:Command":
            # pulumi-command's `environment` is the command's env vars, a free-form map.
            inputs = {k: v for k, v in inputs.items() if k != "environment"}
        snake = [k for k in walk_keys(inputs) if "_" in k.split(".")[-1].removesuffix("[]")]
        assert snake == [], f"{registration['type']} {registration['name']}: snake_case keys {snake}"


def contains_secret(value: Any) -> bool:
    if isinstance(value, dict):
        if SECRET_SIGNATURE in value:
            return False  # marked secret: the engine encrypts it
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return isinstance(value, str) and TEST_SECRET in value


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_secret_values_never_reach_env_vars_or_plain_inputs(stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(stack)
    leaks = [r["name"] for r in plan.registrations if contains_secret(r["inputs"])]
    assert leaks == []
    (version,) = plan.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert version["inputs"]["secretString"] == {
        SECRET_SIGNATURE: "1b47061264138c4ac30d75fd1eb44270",
        "value": TEST_SECRET,
    }


def test_every_archive_exists_and_holds_an_aarch64_bootstrap(dev: Plan) -> None:
    for fn in dev.of_type("aws:lambda/function:Function"):
        code = fn["inputs"]["code"]
        path = REPO_ROOT / code["path"]
        assert not code["path"].startswith("/"), "archive paths are relative to the project: no machine paths"
        with zipfile.ZipFile(path) as archive:
            bootstrap = archive.read("bootstrap")
        assert bootstrap[:4] == b"\x7fELF" and int.from_bytes(bootstrap[18:20], "little") == 183


def test_alarms_per_function_and_on_the_dlq(dev: Plan, prod: Plan) -> None:
    alarms = {a["name"]: a["inputs"] for a in dev.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert alarms["sqs-processor-alarms-errors"]["threshold"] == 5.0
    assert alarms["sqs-processor-alarms-duration-p99"]["threshold"] == 27000.0  # 90% of 30 s
    assert alarms["sqs-processor-alarms-dlq-depth"]["dimensions"] == {"QueueName": "rustlambda-dev-sqs-processor-dlq"}
    assert alarms["http-api-alarms-errors"]["alarmActions"] == [f"arn:aws:sns:{REGION}:{ACCOUNT}:rustlambda-dev-alarms"]
    prod_alarms = {a["name"]: a["inputs"] for a in prod.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert prod_alarms["http-api-alarms-errors"]["alarmActions"] == ["arn:aws:sns:eu-west-1:123456789012:oncall"]
    assert prod.of_type("aws:sns/topic:Topic") == [], "prod sends alarms to its configured topic"


def test_prod_capacity_provider(prod: Plan) -> None:
    (provider,) = prod.of_type("aws:lambda/capacityProvider:CapacityProvider")
    inputs = provider["inputs"]
    assert inputs["instanceRequirements"][0]["architectures"] == ["arm64"]
    assert inputs["vpcConfig"] == {
        "subnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
        "securityGroupIds": ["sg-0a1b2c3d4e5f60003"],
    }
    assert inputs["capacityProviderScalingConfigs"][0]["maxVcpuCount"] == 64.0
    (endpoint,) = prod.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert endpoint["inputs"]["vpcEndpointType"] == "Gateway"
    assert endpoint["inputs"]["routeTableIds"] == ["rtb-0a1b2c3d4e5f60004", "rtb-0a1b2c3d4e5f60005"]


def test_the_stack_outputs_name_every_function_and_what_its_trigger_adds(dev: Plan) -> None:
    functions = ["http-api", "lmi-worker", "s3-processor", "scheduled-job", "sqs-processor"]
    assert sorted(dev.outputs["functionNames"]) == functions
    assert dev.outputs["httpApiUrls"] == {"http-api": f"https://http-api-http-api.execute-api.{REGION}.amazonaws.com"}
    assert dev.outputs["functionUrls"] == {"http-api": f"https://http-api-http-url.lambda-url.{REGION}.on.aws/"}
    # The SQS function's work queue, and the failure queues of the asynchronously invoked ones.
    assert dev.outputs["queueUrls"] == {
        crate: f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/rustlambda-dev-{crate}{suffix}"
        for crate, suffix in (("s3-processor", "-failures"), ("scheduled-job", "-failures"), ("sqs-processor", ""))
    }
    assert dev.outputs["tableNames"] == {"items": "rustlambda-dev-items", "orders": "rustlambda-dev-orders"}


def _last_arn_part(value: str) -> str:
    return value.rsplit(":", 1)[1]


# Each event source and permission type -> the qualifier it names.
EVENT_SOURCES: dict[str, Callable[[dict[str, Any]], str]] = {
    "aws:lambda/permission:Permission": lambda inputs: str(inputs["qualifier"]),
    "aws:lambda/functionUrl:FunctionUrl": lambda inputs: str(inputs["qualifier"]),
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": lambda inputs: str(inputs["qualifier"]),
    "aws:lambda/eventSourceMapping:EventSourceMapping": lambda inputs: _last_arn_part(inputs["functionName"]),
    "aws:apigatewayv2/integration:Integration": lambda inputs: _last_arn_part(inputs["integrationUri"]),
    "aws:cloudwatch/eventTarget:EventTarget": lambda inputs: _last_arn_part(inputs["arn"]),
    "aws:s3/bucketNotification:BucketNotification": lambda inputs: _last_arn_part(
        inputs["lambdaFunctions"][0]["lambdaFunctionArn"]
    ),
}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_trigger_and_permission_is_on_the_live_alias(stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(stack)
    seen = 0
    for type_, qualifier in EVENT_SOURCES.items():
        for resource in plan.of_type(type_):
            assert qualifier(resource["inputs"]) == "live", (resource["name"], resource["inputs"])
            seen += 1
    # The permissions of the API, S3 and EventBridge, the URL, 2 async configs, the mapping, the
    # integration, the rule's target and the notification.
    assert seen == 10
    assert sorted(plan.outputs["functionArns"].values()) == sorted(
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:rustlambda-{stack}-{crate}:live"
        for crate in plan.outputs["functionArns"]
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_function_publishes_a_version_that_its_alias_starts_on_and_its_release_moves_to(
    stack: str, request: pytest.FixtureRequest, contracts: dict[str, FunctionContract]
) -> None:
    plan: Plan = request.getfixturevalue(stack)
    for crate in contracts:
        function = plan.named(f"{crate}-fn-function")
        assert function["inputs"]["publish"] is True
        alias = plan.named(f"{crate}-fn-live")
        assert alias["inputs"]["name"] == "live"
        assert alias["inputs"]["functionName"] == f"rustlambda-{stack}-{crate}"
        version = alias["inputs"]["functionVersion"]
        step = plan.inputs(f"{crate}-release-step")
        assert step["triggers"] == [version]
        assert step["environment"]["RELEASE_VERSION"] == version
        assert step["environment"]["RELEASE_FUNCTION"] == f"rustlambda-{stack}-{crate}"


def test_dev_releases_at_once_without_codedeploy(dev: Plan) -> None:
    assert dev.of_type("aws:codedeploy/deploymentGroup:DeploymentGroup") == []
    assert dev.of_type("aws:codedeploy/application:Application") == []
    assert {step["inputs"]["environment"]["RELEASE_STYLE"] for step in dev.of_type("command:local:Command")} == {
        "all-at-once"
    }


def test_prod_releases_by_canary_with_the_functions_alarms_as_rollback_triggers(
    prod: Plan, contracts: dict[str, FunctionContract]
) -> None:
    (application,) = prod.of_type("aws:codedeploy/application:Application")
    assert application["inputs"]["name"] == "rustlambda-prod"
    groups = {
        g["inputs"]["deploymentGroupName"]: g["inputs"]
        for g in prod.of_type("aws:codedeploy/deploymentGroup:DeploymentGroup")
    }
    assert sorted(groups) == [f"rustlambda-prod-{crate}" for crate in sorted(contracts)]
    for name, group in groups.items():
        assert group["deploymentConfigName"] == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
        assert group["autoRollbackConfiguration"] == {
            "enabled": True,
            "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
        }
        assert group["alarmConfiguration"] == {
            "enabled": True,
            "alarms": [f"{name}-errors", f"{name}-throttles", f"{name}-duration-p99"],
        }
        assert group["serviceRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/rustlambda-prod-codedeploy"


def test_the_managed_instances_endpoint_admits_this_account_to_its_functions_tables_only(prod: Plan) -> None:
    endpoint = prod.inputs("managed-instances-dynamodb-endpoint")
    assert json.loads(endpoint["policy"])["Statement"] == [
        {
            "Sid": "StackTablesOnly",
            "Effect": "Allow",
            "Principal": "*",
            # lmi-worker, the one function on the provider, reads items.
            "Action": ["dynamodb:GetItem"],
            "Resource": [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/rustlambda-prod-items"],
            "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
        }
    ]


def test_a_customer_key_for_secrets_decrypts_through_secrets_manager_only(tmp_path: Path) -> None:
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b0e0f0a-1111-2222-3333-444455556666"
    plan = run_plan("dev", tmp_path, extra_config={"rustlambda:secretKmsKeyArn": key})
    (decrypt,) = (s for s in statements(plan, "s3-processor") if s["Sid"] == "DecryptSecrets")
    assert decrypt == {
        "Sid": "DecryptSecrets",
        "Effect": "Allow",
        "Action": ["kms:Decrypt"],
        "Resource": [key],
        "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}},
    }
    assert plan.inputs("secrets-manifest-signing-key")["kmsKeyId"] == key
    # Functions without secrets get no key at all.
    assert all(s["Sid"] != "DecryptSecrets" for s in statements(plan, "http-api"))
