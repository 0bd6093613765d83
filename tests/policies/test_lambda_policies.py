"""Lambda policies through the real protocol: a happy-path resource passes every policy of the pack,
and each one-property change gives exactly the expected violations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from offline.analyzer import PolicyPackClient
from tests.policies.resources import (
    ACCOUNT,
    FUNCTION,
    NATIVE_FUNCTION,
    UNKNOWN,
    escape,
    function,
    native_function,
    preview_notice,
    run,
    urn,
)

Change = Callable[[dict[str, Any]], None]

RUNTIME = "lambda-function-runtime"
ARCH = "lambda-function-architecture"
CODE_ARCH = "lambda-function-code-architecture"
ARCHIVE_SCAN = "lambda-archive-no-credential-files"
NOT_LOCAL = "the code is not a local archive"
PROJECT_DIR_HINT = "set the policy's projectDir to the Pulumi project's directory"
CAPACITY = "lambda-capacity-provider-architecture"
PERMISSION = "lambda-permission-source-arn"
URL = "lambda-function-url-auth"
ESM = "lambda-event-source-mapping-batch-failures"


def set_(key: str, value: Any) -> Change:
    def change(props: dict[str, Any]) -> None:
        props[key] = value

    return change


def drop(key: str) -> Change:
    def change(props: dict[str, Any]) -> None:
        del props[key]

    return change


# --- functions -------------------------------------------------------------------------------------

FN = "rustlambda-dev-http-api"
NATIVE_FN = "rustlambda-dev-native"
X86_BOOTSTRAP = (
    CODE_ARCH,
    f"The bootstrap of function {FN} ({{code}}) is built for arm64, but the function runs on x86_64: "
    "build it for x86_64-unknown-linux-gnu (or set architectures to match the binary)." + escape(FN),
    "mandatory",
)


def test_happy_functions_pass_every_policy(pack: PolicyPackClient, archives: dict[str, Path]) -> None:
    assert run(pack, FUNCTION, "fn", function(archives["arm64"])) == []
    assert run(pack, NATIVE_FUNCTION, "native", native_function()) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            set_("runtime", "python3.12"),
            [
                (
                    RUNTIME,
                    f"Function {FN} uses the runtime 'python3.12': set runtime to 'provided.al2023'." + escape(FN),
                    "mandatory",
                )
            ],
            id="runtime-python",
        ),
        pytest.param(
            set_("runtime", "provided.al2"),
            [
                (
                    RUNTIME,
                    f"Function {FN} uses the runtime 'provided.al2': set runtime to 'provided.al2023'." + escape(FN),
                    "mandatory",
                )
            ],
            id="runtime-al2",
        ),
        pytest.param(
            drop("runtime"),
            [(RUNTIME, f"Function {FN} sets no runtime: set runtime to 'provided.al2023'." + escape(FN), "mandatory")],
            id="runtime-missing",
        ),
        pytest.param(
            set_("architectures", ["x86_64"]),
            [
                (
                    ARCH,
                    f"Function {FN} has architectures ['x86_64']: set architectures to ['arm64']." + escape(FN),
                    "mandatory",
                ),
                X86_BOOTSTRAP,
            ],
            id="architecture-x86",
        ),
        pytest.param(
            drop("architectures"),
            [
                (
                    ARCH,
                    f"Function {FN} sets no architectures, so AWS runs it on x86_64: set architectures to ['arm64']."
                    + escape(FN),
                    "mandatory",
                ),
                X86_BOOTSTRAP,
            ],
            id="architecture-missing",
        ),
        pytest.param(
            set_("packageType", "Image"),
            [
                (
                    "lambda-function-package-type",
                    f"Function {FN} is a container image (packageType Image), which has no runtime field and whose "
                    "binary this pack cannot read, so neither provided.al2023 nor the bootstrap's architecture can be "
                    f"checked: ship a zip with runtime 'provided.al2023', or add {FN!r} to exemptResources if the "
                    "image is reviewed elsewhere.",
                    "mandatory",
                )
            ],
            id="image-is-blocked-unless-exempted",
        ),
    ],
)
def test_function_changes(
    pack: PolicyPackClient, archives: dict[str, Path], change: Change, expected: list[tuple[str, str, str]]
) -> None:
    props = function(archives["arm64"])
    change(props)
    code = str(archives["arm64"])
    assert run(pack, FUNCTION, "fn", props) == [(p, m.replace("{code}", code), lvl) for p, m, lvl in expected]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            set_("runtime", "nodejs22.x"),
            [
                (
                    RUNTIME,
                    f"Function {NATIVE_FN} uses the runtime 'nodejs22.x': set runtime to 'provided.al2023'."
                    + escape(NATIVE_FN),
                )
            ],
            id="runtime",
        ),
        pytest.param(
            set_("architectures", ["x86_64"]),
            [
                (
                    ARCH,
                    f"Function {NATIVE_FN} has architectures ['x86_64']: set architectures to ['arm64']."
                    + escape(NATIVE_FN),
                )
            ],
            id="architecture-x86",
        ),
        pytest.param(
            drop("architectures"),
            [
                (
                    ARCH,
                    f"Function {NATIVE_FN} sets no architectures, so AWS runs it on x86_64: "
                    "set architectures to ['arm64']." + escape(NATIVE_FN),
                )
            ],
            id="architecture-missing",
        ),
    ],
)
def test_native_function_changes(pack: PolicyPackClient, change: Change, expected: list[tuple[str, str]]) -> None:
    props = native_function()
    change(props)
    assert run(pack, NATIVE_FUNCTION, "native", props) == [(p, m, "mandatory") for p, m in expected]


def test_code_architecture_reads_the_bootstrap_in_the_archive(
    pack: PolicyPackClient, archives: dict[str, Path]
) -> None:
    props = function(archives["x86_64"])
    assert run(pack, FUNCTION, "fn", props) == [
        (
            CODE_ARCH,
            f"The bootstrap of function {FN} ({archives['x86_64']}) is built for x86_64, but the function runs on "
            "arm64: build it for aarch64-unknown-linux-gnu (or set architectures to match the binary)." + escape(FN),
            "mandatory",
        )
    ]
    props = function(archives["no-bootstrap"])
    assert run(pack, FUNCTION, "fn", props) == [
        (
            CODE_ARCH,
            f"The code of function {FN} ({archives['no-bootstrap']}) has no bootstrap at its root: package the Rust "
            "binary as an executable named bootstrap at the root of the archive." + escape(FN),
            "mandatory",
        )
    ]


def test_code_architecture_is_not_applicable_without_a_readable_elf(
    pack: PolicyPackClient, archives: dict[str, Path], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.zip"
    cases = {
        "missing": function(missing),
        "script": function(archives["script"]),
        "native": native_function(),
    }
    reasons = {}
    for case, props in cases.items():
        result = pack.analyze_result(
            FUNCTION if case != "native" else NATIVE_FUNCTION, case, urn(FUNCTION, case), props
        )
        assert result.diagnostics == []
        reasons[case] = [(n.policy_name, n.reason) for n in result.not_applicable]
    assert reasons == {
        "missing": [
            (CODE_ARCH, f"the code archive {missing} does not exist; {PROJECT_DIR_HINT}"),
            (ARCHIVE_SCAN, f"the code archive {missing} does not exist; {PROJECT_DIR_HINT}"),
        ],
        "script": [(CODE_ARCH, f"the bootstrap in {archives['script']} is not an ELF binary")],
        # aws-native code comes from S3 or an image: the archive policies do not judge that form at all.
        "native": [],
    }


def test_code_archive_paths_resolve_against_project_dir(pack: PolicyPackClient, archives: dict[str, Path]) -> None:
    props = function(Path("x86_64.zip"))  # relative, as the program registers build/lambda/<name>.zip
    result = pack.analyze_result(FUNCTION, "fn", urn(FUNCTION, "fn"), props)
    assert [n.policy_name for n in result.not_applicable] == [CODE_ARCH, ARCHIVE_SCAN]  # not in the pack's cwd
    pack.configure({CODE_ARCH: {"projectDir": str(archives["x86_64"].parent)}})
    try:
        assert [d.policy_name for d in pack.analyze(FUNCTION, "fn", urn(FUNCTION, "fn"), props)] == [CODE_ARCH]
    finally:
        pack.configure({})


def test_unknown_architectures_are_judged_at_update(pack: PolicyPackClient, archives: dict[str, Path]) -> None:
    props = function(archives["arm64"])
    props["architectures"] = UNKNOWN
    props["runtime"] = "python3.12"
    assert run(pack, FUNCTION, "fn", props) == [
        (
            RUNTIME,
            f"Function {FN} uses the runtime 'python3.12': set runtime to 'provided.al2023'." + escape(FN),
            "mandatory",
        ),
        preview_notice(ARCH, f"the architectures of function {FN}"),
        preview_notice(CODE_ARCH, f"the architectures of function {FN}"),
    ]


# --- Managed Instances capacity providers ----------------------------------------------------------

CAPACITY_PROVIDER = "aws:lambda/capacityProvider:CapacityProvider"
NATIVE_CAPACITY_PROVIDER = "aws-native:lambda:CapacityProvider"


def capacity_provider() -> dict[str, Any]:
    return {
        "name": "rustlambda-prod",
        "instanceRequirements": [{"architectures": ["arm64"]}],
        "permissionsConfig": {"capacityProviderOperatorRoleArn": f"arn:aws:iam::{ACCOUNT}:role/operator"},
        "vpcConfig": {"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]},
    }


def native_capacity_provider() -> dict[str, Any]:
    return {
        "capacityProviderName": "rustlambda-native",
        "instanceRequirements": {"architectures": ["arm64"]},
        "permissionsConfig": {"capacityProviderOperatorRoleArn": f"arn:aws:iam::{ACCOUNT}:role/operator"},
        "vpcConfig": {"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]},
    }


def test_capacity_provider_architecture(pack: PolicyPackClient) -> None:
    assert run(pack, CAPACITY_PROVIDER, "cp", capacity_provider()) == []
    assert run(pack, NATIVE_CAPACITY_PROVIDER, "cp", native_capacity_provider()) == []

    x86 = capacity_provider()
    x86["instanceRequirements"] = [{"architectures": ["x86_64"]}]
    unset = capacity_provider()
    del unset["instanceRequirements"]
    native_x86 = native_capacity_provider()
    native_x86["instanceRequirements"] = {"architectures": ["x86_64"]}
    native_unset = native_capacity_provider()
    native_unset["instanceRequirements"] = {"allowedInstanceTypes": ["m7g.large"]}
    assert [
        run(pack, CAPACITY_PROVIDER, "cp", x86),
        run(pack, CAPACITY_PROVIDER, "cp", unset),
        run(pack, NATIVE_CAPACITY_PROVIDER, "cp", native_x86),
        run(pack, NATIVE_CAPACITY_PROVIDER, "cp", native_unset),
    ] == [
        [
            (
                CAPACITY,
                "Capacity provider rustlambda-prod allows ['x86_64'] instances: "
                "set instanceRequirements architectures to ['arm64']." + escape("rustlambda-prod"),
                "mandatory",
            )
        ],
        [
            (
                CAPACITY,
                "Capacity provider rustlambda-prod sets no instance architectures, so AWS launches x86_64 instances: "
                "set instanceRequirements architectures to ['arm64']." + escape("rustlambda-prod"),
                "mandatory",
            )
        ],
        [
            (
                CAPACITY,
                "Capacity provider rustlambda-native allows ['x86_64'] instances: "
                "set instanceRequirements architectures to ['arm64']." + escape("rustlambda-native"),
                "mandatory",
            )
        ],
        [
            (
                CAPACITY,
                "Capacity provider rustlambda-native sets no instance architectures, so AWS launches x86_64 "
                "instances: set instanceRequirements architectures to ['arm64']." + escape("rustlambda-native"),
                "mandatory",
            )
        ],
    ]


# --- permissions -----------------------------------------------------------------------------------

PERMISSION_TYPE = "aws:lambda/permission:Permission"
NATIVE_PERMISSION = "aws-native:lambda:Permission"


def events_permission() -> dict[str, Any]:
    return {
        "function": "rustlambda-dev-scheduled-job",
        "action": "lambda:InvokeFunction",
        "principal": "events.amazonaws.com",
        "sourceArn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/rustlambda-dev-scheduled-job",
    }


def s3_permission() -> dict[str, Any]:
    return {
        "function": "rustlambda-dev-s3-processor",
        "action": "lambda:InvokeFunction",
        "principal": "s3.amazonaws.com",
        "sourceArn": "arn:aws:s3:::rustlambda-dev-uploads",
        "sourceAccount": ACCOUNT,
    }


def test_permissions(pack: PolicyPackClient) -> None:
    assert run(pack, PERMISSION_TYPE, "p", events_permission()) == []
    assert run(pack, PERMISSION_TYPE, "p", s3_permission()) == []
    # An unknown source ARN (the rule is created in the same update) will be set: it passes.
    assert run(pack, PERMISSION_TYPE, "p", {**events_permission(), "sourceArn": UNKNOWN}) == []
    # A principal that is not an AWS service is out of this policy's scope.
    account = {**events_permission(), "principal": ACCOUNT}
    del account["sourceArn"]
    assert run(pack, PERMISSION_TYPE, "p", account) == []

    no_source = events_permission()
    del no_source["sourceArn"]
    assert run(pack, PERMISSION_TYPE, "events-permission", no_source) == [
        (
            PERMISSION,
            "Permission events-permission lets events.amazonaws.com invoke rustlambda-dev-scheduled-job on behalf of "
            "any events resource, in any account: set sourceArn to the ARN of the resource that invokes the "
            "function." + escape("events-permission"),
            "mandatory",
        )
    ]
    no_account = s3_permission()
    del no_account["sourceAccount"]
    assert run(pack, PERMISSION_TYPE, "s3-permission", no_account) == [
        (
            PERMISSION,
            "Permission s3-permission lets s3.amazonaws.com invoke rustlambda-dev-s3-processor without a "
            "sourceAccount, and bucket ARNs carry no account id, so a bucket of that name in another account could "
            "invoke it: set sourceAccount to the bucket owner's account id." + escape("s3-permission"),
            "mandatory",
        )
    ]
    native = events_permission()
    native["functionName"] = native.pop("function")
    assert run(pack, NATIVE_PERMISSION, "native-permission", native) == []
    del native["sourceArn"]
    assert run(pack, NATIVE_PERMISSION, "native-permission", native) == [
        (
            PERMISSION,
            "Permission native-permission lets events.amazonaws.com invoke rustlambda-dev-scheduled-job on behalf of "
            "any events resource, in any account: set sourceArn to the ARN of the resource that invokes the "
            "function." + escape("native-permission"),
            "mandatory",
        )
    ]


# --- function URLs ---------------------------------------------------------------------------------

FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
NATIVE_URL = "aws-native:lambda:Url"
PUBLIC_URL = (
    "Function URL {url} uses {prop} 'NONE', so anyone on the internet can invoke rustlambda-dev-http-api: set {prop} "
    "to 'AWS_IAM', or add 'rustlambda-dev-http-api' to allowedPublicFunctions if it is meant to be public."
)


def test_function_urls(pack: PolicyPackClient) -> None:
    url = {"functionName": "rustlambda-dev-http-api", "authorizationType": "AWS_IAM"}
    native = {
        "targetFunctionArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:rustlambda-dev-http-api",
        "authType": "AWS_IAM",
    }
    assert run(pack, FUNCTION_URL, "url", url) == []
    assert run(pack, NATIVE_URL, "url", native) == []
    assert run(pack, FUNCTION_URL, "http-url", {**url, "authorizationType": "NONE"}) == [
        (URL, PUBLIC_URL.format(url="http-url", prop="authorizationType"), "mandatory")
    ]
    assert run(pack, NATIVE_URL, "native-url", {**native, "authType": "NONE"}) == [
        (URL, PUBLIC_URL.format(url="native-url", prop="authType"), "mandatory")
    ]
    assert run(pack, FUNCTION_URL, "url", {"functionName": UNKNOWN}) == [
        (
            URL,
            "Function URL url sets no authorizationType, so anyone on the internet can invoke its function: set "
            "authorizationType to 'AWS_IAM', or add the function's name to allowedPublicFunctions if it is meant to "
            "be public.",
            "mandatory",
        )
    ]


def test_function_url_allowlist(pack: PolicyPackClient) -> None:
    public = {"functionName": "rustlambda-dev-http-api", "authorizationType": "NONE"}
    native = {"targetFunctionArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:rustlambda-dev-http-api:live"}
    pack.configure({URL: {"allowedPublicFunctions": ["rustlambda-dev-http-api"]}})
    try:
        assert run(pack, FUNCTION_URL, "url", public) == []
        assert run(pack, NATIVE_URL, "url", {**native, "authType": "NONE"}) == []
        assert run(pack, FUNCTION_URL, "url", {**public, "functionName": UNKNOWN}) == [
            preview_notice(URL, "the function URL's function name")
        ]
        assert [
            d.policy_name
            for d in pack.analyze(FUNCTION_URL, "u", urn(FUNCTION_URL, "u"), {**public, "functionName": "other"})
        ] == [URL]
    finally:
        pack.configure({})


# --- SQS event source mappings ---------------------------------------------------------------------

MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
NATIVE_MAPPING = "aws-native:lambda:EventSourceMapping"
NO_BATCH_FAILURES = (
    "SQS event source mapping {name} does not report batch item failures, so one failed message makes Lambda retry "
    "the whole batch: set functionResponseTypes to ['ReportBatchItemFailures'] and return the failed message ids."
    " If it is intended, add '{name}' to this policy's exemptResources."
)


def sqs_mapping() -> dict[str, Any]:
    return {
        "eventSourceArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:rustlambda-dev-sqs-processor",
        "functionName": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:rustlambda-dev-sqs-processor",
        "functionResponseTypes": ["ReportBatchItemFailures"],
        "batchSize": 10.0,
    }


def test_event_source_mappings(pack: PolicyPackClient) -> None:
    assert run(pack, MAPPING, "m", sqs_mapping()) == []
    assert run(pack, NATIVE_MAPPING, "m", sqs_mapping()) == []
    # Other event sources (streams) do not batch-report the same way: out of scope.
    stream = {**sqs_mapping(), "eventSourceArn": f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/s"}
    del stream["functionResponseTypes"]
    assert run(pack, MAPPING, "m", stream) == []

    missing = sqs_mapping()
    del missing["functionResponseTypes"]
    assert run(pack, MAPPING, "sqs-mapping", missing) == [
        (ESM, NO_BATCH_FAILURES.format(name="sqs-mapping"), "mandatory")
    ]
    assert run(pack, NATIVE_MAPPING, "native-mapping", {**sqs_mapping(), "functionResponseTypes": []}) == [
        (ESM, NO_BATCH_FAILURES.format(name="native-mapping"), "mandatory")
    ]
    assert run(pack, MAPPING, "m", {**missing, "eventSourceArn": UNKNOWN}) == [
        preview_notice(ESM, "the event source mapping's eventSourceArn")
    ]
