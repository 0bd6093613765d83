"""scripts/smoke-test against the real functions: http-api and lmi-worker (their native builds)
under aws-lambda-rie with moto as their AWS, behind Lambda's Invoke API (harness/lambda_api.py),
run as the deploy workflow runs it, with the stack outputs a deploy would give."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import functions
from harness.aws import create_table
from harness.emulator import Emulator
from harness.lambda_api import LambdaApi
from harness.moto import CREDENTIALS, MotoServer
from model.contract import FunctionContract
from offline.engine import ACCOUNT_ID, REGION, REPO_ROOT
from release import smoke as release_smoke

HTTP_API = "rustlambda-dev-http-api"
LMI_WORKER = "rustlambda-dev-lmi-worker"


def arn(name: str, qualifier: str = "") -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}{':' + qualifier if qualifier else ''}"


@pytest.fixture(scope="module")
def running(
    moto: MotoServer,
    native_binaries: Path,
    contracts: dict[str, FunctionContract],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Emulator]]:
    """http-api and lmi-worker, each under its emulator, with an items table in moto."""
    logs = tmp_path_factory.mktemp("smoke-functions")
    table = create_table(moto, f"items-{uuid.uuid4().hex[:10]}", "id")
    started: dict[str, Emulator] = {}
    try:
        for name in ("http-api", "lmi-worker"):
            env = {**functions.function_env(contracts[name], {"ITEMS_TABLE": table}), **moto.function_env()}
            started[name] = Emulator(functions.command("native", name, native_binaries), env, logs / f"{name}.log")
        yield started
    finally:
        for emulator in started.values():
            emulator.close()


def smoke_test(
    behind: dict[str, Emulator], outputs: dict[str, object], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    """Runs scripts/smoke-test with `outputs` against Lambda's Invoke API serving `behind`
    (function name -> its emulator), as the deploy workflow runs it."""
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps(outputs))
    api = LambdaApi(behind)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        **CREDENTIALS,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,  # as aws-actions/configure-aws-credentials sets them
        "AWS_ENDPOINT_URL_LAMBDA": api.url,
    }
    try:
        return subprocess.run(
            [
                str(REPO_ROOT / "scripts" / "smoke-test"),
                "--stack",
                "my-org/rustlambda/dev",
                "--outputs",
                str(outputs_file),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        api.close()


def deployed(http_api: str = HTTP_API, lmi_worker: str = LMI_WORKER) -> dict[str, object]:
    """The outputs of a dev deploy: lmi-worker by its published version, as on Managed Instances."""
    return {
        "functionArns": {"http-api": arn(http_api), "lmi-worker": arn(lmi_worker, "1")},
        "functionNames": {"http-api": http_api, "lmi-worker": lmi_worker},
    }


def test_a_healthy_stack_passes(running: dict[str, Emulator], tmp_path: Path) -> None:
    result = smoke_test({HTTP_API: running["http-api"], LMI_WORKER: running["lmi-worker"]}, deployed(), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["smoke test of stack my-org/rustlambda/dev", f"invoking http-api ({arn(HTTP_API)})"]
    assert lines[2].startswith('ok   http-api: {"statusCode": 200, ')
    assert lines[3] == f"invoking lmi-worker ({arn(LMI_WORKER, '1')})"
    assert lines[4] == 'ok   lmi-worker: {"items": [], "missing": ["smoke"], "cache_hits": 0}'
    assert result.stderr == ""


def test_a_function_error_fails_naming_the_function_and_the_error(running: dict[str, Emulator], tmp_path: Path) -> None:
    # http-api's name reaches lmi-worker, which cannot read an HTTP event and fails.
    result = smoke_test({HTTP_API: running["lmi-worker"], LMI_WORKER: running["lmi-worker"]}, deployed(), tmp_path)
    assert result.returncode == 1
    assert 'FAIL http-api: function error (Unhandled); response: {"errorType": "InvalidEvent"' in result.stdout
    assert "ok   lmi-worker:" in result.stdout
    assert result.stderr == "error: smoke test of stack my-org/rustlambda/dev failed (1 of 2 functions)\n"


def test_an_error_of_the_other_function_fails_too(running: dict[str, Emulator], tmp_path: Path) -> None:
    # lmi-worker's name reaches http-api, which cannot read lmi-worker's event and fails.
    result = smoke_test({HTTP_API: running["http-api"], LMI_WORKER: running["http-api"]}, deployed(), tmp_path)
    assert result.returncode == 1
    assert "FAIL lmi-worker: function error (Unhandled); response: {" in result.stdout
    assert '"errorType"' in result.stdout


def test_a_function_lambda_does_not_know_fails(running: dict[str, Emulator], tmp_path: Path) -> None:
    result = smoke_test({HTTP_API: running["http-api"]}, deployed(), tmp_path)
    assert result.returncode == 1
    assert (
        "FAIL lmi-worker: the invocation failed: An error occurred (ResourceNotFoundException) when calling the "
        f"Invoke operation: Function not found: {arn(LMI_WORKER, '1')}"
    ) in result.stdout


def test_outputs_without_a_function_are_refused_naming_it(tmp_path: Path) -> None:
    result = smoke_test({}, {"functionArns": {"http-api": arn(HTTP_API)}}, tmp_path)
    assert result.returncode == 1
    assert result.stderr == "error: the stack outputs name no function lmi-worker (functionArns has: http-api)\n"


def test_the_script_needs_a_stack(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(REPO_ROOT / "scripts" / "smoke-test")], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "the following arguments are required: --stack" in result.stderr


@pytest.mark.parametrize(
    ("response", "message"),
    [
        ({"statusCode": 503, "body": '{"status": "ok"}'}, "expected statusCode 200, got 503"),
        ({"statusCode": 200, "body": "<html>"}, "the HTTP body is not JSON"),
        ({"statusCode": 200, "body": '{"status": "degraded"}'}, 'expected the body {"status": "ok"}'),
        (["not", "an", "object"], "expected a JSON object without errorType"),
    ],
)
def test_the_health_check_names_what_is_wrong(response: object, message: str) -> None:
    smoke = release_smoke
    with pytest.raises(smoke.SmokeFailure) as failure:
        smoke.check_health(response)
    assert str(failure.value) == message
