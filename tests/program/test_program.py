"""The program's resources and the properties that matter, for the dev and prod stacks, as the
real program registers them under Pulumi's mock monitor (with the real arm64 build)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from model.contract import FunctionContract
from tests.program import copies
from tests.program.plans import REPO_ROOT, Plan, run_plan

ACCOUNT = "123456789012"
# The dev and prod stacks deploy to eu-west-1 (aws:region in their stack files): the offline engine too.
REGION = "eu-west-1"
SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"
CRATES = ("http-api", "lmi-worker", "s3-processor", "scheduled-job", "sqs-processor")


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
            # Pulumi.dev.yaml: logLevel INFO, scheduled-job at DEBUG.
            "applicationLogLevel": "DEBUG" if crate == "scheduled-job" else "INFO",
            "systemLogLevel": "INFO",
        }
        assert fn["tracingConfig"] == {"mode": "PassThrough"}  # dev turns X-Ray off
        logs = dev.inputs(f"{crate}-fn-logs")
        assert (logs["name"], logs["retentionInDays"]) == (f"/aws/lambda/rustlambda-dev-{crate}", 7.0)


def test_env_vars_are_the_contract_settings_and_references(dev: Plan) -> None:
    env = {
        crate: dev.inputs(f"{crate}-fn-function")["environment"]["variables"] for crate in ("http-api", "s3-processor")
    }
    # No RUST_LOG: the log level is the stack's logLevel (loggingConfig, AWS_LAMBDA_LOG_LEVEL).
    assert env["http-api"] == {"ITEMS_TABLE": "rustlambda-dev-items"}
    s3_env = env["s3-processor"]
    assert set(s3_env) == {
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
    assert s3_env["INPUT_BUCKET"] == f"rustlambda-dev-uploads-{ACCOUNT}"
    assert s3_env["OUTPUT_BUCKET"] == f"rustlambda-dev-manifests-{ACCOUNT}"


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
        f"arn:aws:s3:::rustlambda-dev-uploads-{ACCOUNT}",
        f"arn:aws:s3:::rustlambda-dev-manifests-{ACCOUNT}",
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
        # By name, with the six characters Secrets Manager appends (model.arns), so a preview knows it.
        "Resource": [f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rustlambda-dev/manifest-signing-key-??????"],
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
    alias = dev.named("sqs-processor-fn-live-alias")
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
    assert permission["inputs"]["sourceArn"] == f"arn:aws:s3:::rustlambda-dev-uploads-{ACCOUNT}"
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
    # Numbered versions on Managed Instances too (no publishTo: $LATEST.PUBLISHED would bypass the alias).
    assert (worker["inputs"]["publish"], "publishTo" in worker["inputs"], worker["inputs"]["memorySize"]) == (
        True,
        False,
        2048.0,
    )
    assert worker["replace_on_changes"] == ["capacityProviderConfig"]
    # Each version's scaling config is the release step's: the stack's bounds in its environment.
    step = prod.inputs("lmi-worker-release-step")["environment"]
    assert (step["RELEASE_PLACEMENT"], step["RELEASE_MIN_ENVIRONMENTS"], step["RELEASE_MAX_ENVIRONMENTS"]) == (
        "managed-instances",
        "3",
        "8",
    )
    assert prod.of_type("aws:lambda/functionScalingConfig:FunctionScalingConfig") == []
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


SECRET_VALUE_SIG = "1b47061264138c4ac30d75fd1eb44270"  # Pulumi's marker of a secret value on the wire
# Resource types whose state holds a secret value that a refresh reads back.
VALUE_HOLDERS = (
    "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:ssm/parameter:Parameter",
    "random:index/randomPassword:RandomPassword",
    "tls:index/privateKey:PrivateKey",
    "aws:iam/accessKey:AccessKey",
)


def secret_paths(value: Any, path: str = "") -> list[str]:
    """Where a value marked secret sits in a resource's inputs."""
    if isinstance(value, dict):
        if value.get(SECRET_SIGNATURE) == SECRET_VALUE_SIG:
            return [path]
        return [p for key, child in value.items() for p in secret_paths(child, f"{path}.{key}".lstrip("."))]
    if isinstance(value, list):
        return [p for child in value for p in secret_paths(child, path + "[]")]
    return []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_stack_holds_a_secret_value_so_a_preview_decrypts_and_refreshes_none(
    stack: str, request: pytest.FixtureRequest
) -> None:
    """The preview path reads no secret value: the project declares no secret config key and the
    stack file sets none (nothing for the CLI to decrypt), and no resource holds a secret value
    (nothing in the state for a refresh to read); each secret is created empty, seeded outside Pulumi."""
    plan: Plan = request.getfixturevalue(stack)
    declared = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())["config"]
    assert [key for key, spec in declared.items() if spec.get("secret")] == []
    assert "secure:" not in (REPO_ROOT / f"Pulumi.{stack}.yaml").read_text()
    assert [r["name"] for r in plan.registrations if r["type"] in VALUE_HOLDERS] == []
    assert {r["name"]: secret_paths(r["inputs"]) for r in plan.registrations if secret_paths(r["inputs"])} == {}
    (secret,) = plan.of_type("aws:secretsmanager/secret:Secret")
    assert secret["inputs"]["name"] == f"rustlambda-{stack}/manifest-signing-key"
    assert secret["inputs"]["description"] == (
        "Seeded outside Pulumi: aws secretsmanager put-secret-value "
        f"--secret-id rustlambda-{stack}/manifest-signing-key --secret-string <value>"
    )


def test_every_archive_exists_and_holds_an_aarch64_bootstrap(dev: Plan) -> None:
    for fn in dev.of_type("aws:lambda/function:Function"):
        code = fn["inputs"]["code"]
        path = REPO_ROOT / code["path"]
        assert not code["path"].startswith("/"), "archive paths are relative to the project: no machine paths"
        with zipfile.ZipFile(path) as archive:
            bootstrap = archive.read("bootstrap")
        assert bootstrap[:4] == b"\x7fELF" and int.from_bytes(bootstrap[18:20], "little") == 183


def test_the_log_level_comes_from_the_stack_config(prod: Plan, tmp_path: Path) -> None:
    levels = {
        crate: prod.inputs(f"{crate}-fn-function")["loggingConfig"]["applicationLogLevel"]
        for crate in ("http-api", "lmi-worker", "s3-processor", "scheduled-job", "sqs-processor")
    }
    # Pulumi.prod.yaml: logLevel INFO, lmi-worker at WARN (without the extension).
    assert levels == {
        "http-api": "INFO",
        "lmi-worker": "WARN",
        "s3-processor": "INFO",
        "scheduled-job": "INFO",
        "sqs-processor": "INFO",
    }
    plan = run_plan(
        "dev",
        tmp_path,
        extra_config={
            "rustlambda:logLevel": "ERROR",
            "rustlambda:telemetryExtension": False,
            "rustlambda:functions": {"http-api": {"logLevel": "TRACE", "telemetryExtension": True}},
        },
    )
    assert {
        crate: plan.inputs(f"{crate}-fn-function")["loggingConfig"]["applicationLogLevel"]
        for crate in ("http-api", "lmi-worker", "s3-processor", "scheduled-job", "sqs-processor")
    } == {
        "http-api": "TRACE",
        "lmi-worker": "ERROR",
        "s3-processor": "ERROR",
        "scheduled-job": "ERROR",
        "sqs-processor": "ERROR",
    }
    assert [c for c in ("http-api", "sqs-processor") if plan.inputs(f"{c}-fn-function").get("layers")] == ["http-api"]


def extension_layer_arn(plan: Plan, stack: str) -> str:
    (layer,) = plan.of_type("aws:lambda/layerVersion:LayerVersion")
    assert layer["name"] == "telemetry-extension-layer"
    inputs = {k: v for k, v in layer["inputs"].items() if k != "code"}
    assert inputs == {
        "layerName": f"rustlambda-{stack}-telemetry-extension",
        "description": "CloudWatch metrics (EMF) from the Lambda Telemetry API: init duration, duration, memory, "
        "cold starts.",
        "compatibleArchitectures": ["arm64"],
        "compatibleRuntimes": ["provided.al2023"],
    }
    assert layer["inputs"]["code"]["path"] == "build/lambda/layers/telemetry-extension.zip"
    with zipfile.ZipFile(REPO_ROOT / layer["inputs"]["code"]["path"]) as archive:
        [entry] = archive.infolist()
        binary = archive.read(entry)
    assert (entry.filename, entry.external_attr >> 16) == ("extensions/telemetry-extension", 0o100755)
    assert binary[:4] == b"\x7fELF" and int.from_bytes(binary[18:20], "little") == 183
    # The offline engine numbers a layer version from its bytes (AWS numbers them in order).
    layers = {
        r["name"].removesuffix("-fn-function"): r["inputs"].get("layers")
        for r in plan.of_type("aws:lambda/function:Function")
    }
    arns = {tuple(v) for v in layers.values() if v}
    assert len(arns) == 1
    ((arn,),) = arns
    prefix = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:rustlambda-{stack}-telemetry-extension:"
    assert arn.startswith(prefix) and arn.removeprefix(prefix).isdigit()
    return str(arn)


def test_the_telemetry_extension_layer_is_attached_where_the_stack_config_says(dev: Plan, prod: Plan) -> None:
    dev_arn = extension_layer_arn(dev, "dev")
    assert {r["name"]: r["inputs"]["layers"] for r in dev.of_type("aws:lambda/function:Function")} == {
        f"{crate}-fn-function": [dev_arn]
        for crate in ("http-api", "lmi-worker", "s3-processor", "scheduled-job", "sqs-processor")
    }
    prod_arn = extension_layer_arn(prod, "prod")
    assert {r["name"]: r["inputs"].get("layers") for r in prod.of_type("aws:lambda/function:Function")} == {
        "http-api-fn-function": [prod_arn],
        "lmi-worker-fn-function": None,  # Pulumi.prod.yaml: telemetryExtension false (it logs at WARN)
        "s3-processor-fn-function": [prod_arn],
        "scheduled-job-fn-function": [prod_arn],
        "sqs-processor-fn-function": [prod_arn],
    }


def test_the_collector_exporter_builds_with_otel_attaches_the_collector_and_grants_xray(
    dev: Plan, tmp_path: Path
) -> None:
    """Without the extension, the collector is each function's one layer; the build is asked for the
    `otel` feature; each role may write to X-Ray (the collector's default export), where dev's
    tracing is off."""
    collector = f"arn:aws:lambda:{REGION}:901920570463:layer:aws-otel-collector-arm64-ver-0-117-0:1"
    project = copies.copy_with_recorded_build(tmp_path / "repo")
    plan = run_plan(
        "dev",
        tmp_path,
        project_dir=project,
        extra_config={
            "rustlambda:telemetryExtension": False,
            "rustlambda:openTelemetry": {"enabled": True, "collectorLayerArn": collector},
        },
    )
    assert copies.build_requests(project) == ["--features common/otel"]
    assert plan.of_type("aws:lambda/layerVersion:LayerVersion") == []
    functions = plan.of_type("aws:lambda/function:Function")
    assert {r["name"]: r["inputs"]["layers"] for r in functions} == {r["name"]: [collector] for r in functions}
    for crate in CRATES:
        xray = [s for s in statements(plan, crate) if s["Sid"] == "XRayTracing"]
        assert xray == [
            {
                "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
                "Effect": "Allow",
                "Resource": ["*"],
                "Sid": "XRayTracing",
            }
        ], crate
        assert [s for s in statements(dev, crate) if s["Sid"] == "XRayTracing"] == [], crate


def test_the_logs_exporter_builds_with_otel_lite_attaches_no_collector_and_passes_the_sampler(
    dev: Plan, tmp_path: Path
) -> None:
    project = copies.copy_with_recorded_build(tmp_path / "repo")
    otel = {"enabled": True, "exporter": "logs", "sampler": "parentbased_traceidratio", "samplingRatio": 0.05}
    plan = run_plan("dev", tmp_path, project_dir=project, extra_config={"rustlambda:openTelemetry": otel})
    assert copies.build_requests(project) == ["--features common/otel-lite"]
    sampler = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.05"}
    for crate in CRATES:
        env = plan.inputs(f"{crate}-fn-function")["environment"]["variables"]
        assert env == {**dev.inputs(f"{crate}-fn-function")["environment"]["variables"], **sampler}, crate
    # The layers and the roles are dev's: the spans leave through the function's own log.
    assert {r["name"]: r["inputs"]["layers"] for r in plan.of_type("aws:lambda/function:Function")} == {
        r["name"]: r["inputs"]["layers"] for r in dev.of_type("aws:lambda/function:Function")
    }
    for crate in CRATES:
        assert statements(plan, crate) == statements(dev, crate), crate


def test_every_dead_letter_and_on_failure_queue_has_a_depth_alarm(dev: Plan, prod: Plan) -> None:
    # Pulumi.<stack>.yaml: alarms.dlqDepth 10 in dev, the default 1 in prod.
    for plan, stack, topic, threshold in (
        (dev, "dev", f"arn:aws:sns:{REGION}:{ACCOUNT}:rustlambda-dev-alarms", 10),
        (prod, "prod", f"arn:aws:sns:{REGION}:{ACCOUNT}:oncall", 1),
    ):
        queues = {
            r["inputs"]["name"]
            for r in plan.of_type("aws:sqs/queue:Queue")
            if r["inputs"]["name"].endswith(("-dlq", "-failures"))
        }
        assert queues == {
            f"rustlambda-{stack}-sqs-processor-dlq",
            f"rustlambda-{stack}-s3-processor-failures",
            f"rustlambda-{stack}-scheduled-job-failures",
        }
        depth = {
            r["name"]: r["inputs"]
            for r in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
            if r["inputs"]["metricName"] == "ApproximateNumberOfMessagesVisible"
        }
        assert sorted(depth) == [
            "s3-processor-alarms-dlq-depth",
            "scheduled-job-alarms-dlq-depth",
            "sqs-processor-alarms-dlq-depth",
        ]
        assert {a["dimensions"]["QueueName"] for a in depth.values()} == queues
        s3 = depth["s3-processor-alarms-dlq-depth"]
        assert {k: v for k, v in s3.items() if k != "tags"} == {
            "name": f"rustlambda-{stack}-s3-processor-failures-depth",
            "alarmDescription": f"rustlambda-{stack}-s3-processor-failures: {threshold} or more failed events waiting",
            "namespace": "AWS/SQS",
            "metricName": "ApproximateNumberOfMessagesVisible",
            "dimensions": {"QueueName": f"rustlambda-{stack}-s3-processor-failures"},
            "statistic": "Maximum",
            "comparisonOperator": "GreaterThanOrEqualToThreshold",
            "threshold": float(threshold),
            "period": 300.0,
            "evaluationPeriods": 1.0,
            "datapointsToAlarm": 1.0,
            "treatMissingData": "notBreaching",
            "alarmActions": [topic],
            "okActions": [topic],
        }


def test_the_dashboard_has_a_row_of_four_graphs_per_function(dev: Plan) -> None:
    (dashboard,) = dev.of_type("aws:cloudwatch/dashboard:Dashboard")
    assert dashboard["inputs"]["dashboardName"] == "rustlambda-dev"
    widgets = json.loads(dashboard["inputs"]["dashboardBody"])["widgets"]
    assert [(w["type"], w["x"], w["y"], w["width"], w["height"]) for w in widgets] == [
        ("text", 0, 0, 24, 2),
        *[("metric", x, 2 + 6 * row, 6, 6) for row in range(5) for x in (0, 6, 12, 18)],
    ]
    titles = [w["properties"]["title"] for w in widgets[1:]]
    assert titles[:4] == [
        "http-api: invocations, errors, throttles",
        "http-api: duration (ms)",
        "http-api: init, memory, cold starts (telemetry extension)",
        "http-api: concurrency and queues",
    ]
    fn = "rustlambda-dev-sqs-processor"
    sqs_row = widgets[17:21]
    assert sqs_row[2]["properties"]["metrics"] == [
        ["RustLambda", "InitDuration", "FunctionName", fn, {"stat": "p50", "label": "init P50 (ms)"}],
        ["RustLambda", "InitDuration", "FunctionName", fn, {"stat": "p99", "label": "init P99 (ms)"}],
        ["RustLambda", "MaxMemoryUsed", "FunctionName", fn, {"stat": "Maximum", "label": "max memory (MB)"}],
        ["RustLambda", "ColdStart", "FunctionName", fn, {"stat": "Sum", "label": "cold starts", "yAxis": "right"}],
    ]
    assert sqs_row[1]["properties"]["metrics"] == [
        ["AWS/Lambda", "Duration", "FunctionName", fn, {"stat": "p50", "label": "P50"}],
        ["AWS/Lambda", "Duration", "FunctionName", fn, {"stat": "p99", "label": "P99"}],
    ]
    queue, dlq = "rustlambda-dev-sqs-processor", "rustlambda-dev-sqs-processor-dlq"
    assert sqs_row[3]["properties"]["metrics"] == [
        ["AWS/Lambda", "ConcurrentExecutions", "FunctionName", fn, {"stat": "Maximum"}],
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue, {"stat": "Maximum"}],
        [
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            "QueueName",
            queue,
            {"stat": "Maximum", "yAxis": "right", "label": f"{queue} oldest (s)"},
        ],
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", dlq, {"stat": "Maximum"}],
        [
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            "QueueName",
            dlq,
            {"stat": "Maximum", "yAxis": "right", "label": f"{dlq} oldest (s)"},
        ],
    ]
    assert all(w["properties"]["region"] == REGION for w in widgets[1:])


def test_three_saved_queries_over_every_functions_log_group(dev: Plan) -> None:
    queries = {r["name"]: r["inputs"] for r in dev.of_type("aws:cloudwatch/queryDefinition:QueryDefinition")}
    groups = [
        f"/aws/lambda/rustlambda-dev-{crate}"
        for crate in ("http-api", "lmi-worker", "s3-processor", "scheduled-job", "sqs-processor")
    ]
    assert {name: (q["name"], q["logGroupNames"]) for name, q in queries.items()} == {
        "observability-queries-cold-starts-by-function": ("rustlambda-dev/cold-starts-by-function", groups),
        "observability-queries-errors-with-request-ids": ("rustlambda-dev/errors-with-request-ids", groups),
        "observability-queries-slowest-invocations": ("rustlambda-dev/slowest-invocations", groups),
    }
    assert queries["observability-queries-slowest-invocations"]["queryString"] == "\n".join(
        [
            'filter type = "platform.report"',
            "| fields @timestamp, @log, record.requestId as requestId, record.metrics.durationMs as durationMs,"
            " record.metrics.billedDurationMs as billedMs, record.metrics.maxMemoryUsedMB as memoryMB,"
            " ispresent(record.metrics.initDurationMs) as coldStart",
            "| sort durationMs desc",
            "| limit 25",
        ]
    )


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
        "subnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60006"],
        "securityGroupIds": ["sg-0a1b2c3d4e5f60003"],
    }
    assert inputs["capacityProviderScalingConfigs"][0]["maxVcpuCount"] == 64.0
    (endpoint,) = prod.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert endpoint["inputs"]["vpcEndpointType"] == "Gateway"
    assert endpoint["inputs"]["routeTableIds"] == [
        "rtb-0a1b2c3d4e5f60004",
        "rtb-0a1b2c3d4e5f60005",
        "rtb-0a1b2c3d4e5f60007",
    ]


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
        alias = plan.named(f"{crate}-fn-live-alias")
        assert alias["inputs"]["name"] == "live"
        assert alias["inputs"]["functionName"] == f"rustlambda-{stack}-{crate}"
        # A new stack: the first version, and the alias starts on it.
        assert alias["inputs"]["functionVersion"] == "1"
        step = plan.inputs(f"{crate}-release-step")
        assert "triggers" not in step, "a trigger change would replace the step, and `update` would never run"
        assert step["environment"]["RELEASE_VERSION"] == "1"
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
            "alarms": [
                f"{name}-errors",
                f"{name}-throttles",
                f"{name}-duration-p99",
                f"{name}-new-version-errors",
                f"{name}-new-version-duration-p99",
            ],
        }
        # CodeDeploy's role is ci_access's (docs/security.md).
        assert group["serviceRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/codedeploy-rustlambda-prod"


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
