"""What the emulator tests share: emulated time, CloudWatch (metrics and alarms), Lambda functions
created in moto, and stand-in functions under aws-lambda-rie (harness/stand_in.py)."""

from __future__ import annotations

import functools
import io
import json
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness.emulated import EmulatedCloud
from harness.emulator import Emulator
from harness.lambda_api import LambdaApi
from harness.moto import CREDENTIALS, REGION, MotoServer
from harness.stand_in import stand_in_command


@functools.cache
def client(service: str, url: str) -> Any:
    """A boto3 client of an emulator, without retries: each call is one request, so that the tests
    count what the emulators see (boto3 would retry a throttled call twice)."""
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


def code(marker: str) -> bytes:
    """A zip whose bytes differ per marker (a new build, so that a publish makes a new version)."""
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("bootstrap", marker)
    return zipped.getvalue()


World = EmulatedCloud


def error_of(call: Callable[[], object]) -> tuple[str, str]:
    """The error code and message of an AWS call that must fail."""
    with pytest.raises(ClientError) as failure:
        call()
    return failure.value.response["Error"]["Code"], failure.value.response["Error"]["Message"]


@pytest.fixture
def world(moto: MotoServer) -> World:
    return EmulatedCloud.on(moto)


@pytest.fixture
def function_name() -> str:
    return f"fn-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def create_function(moto: MotoServer) -> Callable[[str], None]:
    """Creates a function in moto with version 1 published and its `live` alias on it."""
    role = moto.client("iam").create_role(
        RoleName=f"role-{uuid.uuid4().hex[:10]}",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]

    def create(name: str) -> None:
        control = moto.client("lambda")
        control.create_function(
            FunctionName=name,
            Runtime="provided.al2023",
            Role=role,
            Handler="bootstrap",
            Code={"ZipFile": code("1")},
            Publish=True,
        )
        control.create_alias(FunctionName=name, Name="live", FunctionVersion="1")

    return create


@pytest.fixture
def stand_in(tmp_path: Path) -> Iterator[Callable[[str], Emulator]]:
    """Starts stand-in functions answering {"version": <label>}; stops them after the test."""
    started: list[Emulator] = []

    def start(label: str) -> Emulator:
        directory = tmp_path / f"stand-in-{label}-{len(started)}"
        emulator = Emulator(stand_in_command(directory, {"version": label}), {}, directory / "rie.log")
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.close()


@pytest.fixture
def lambda_api(moto: MotoServer, world: World) -> Iterator[LambdaApi]:
    """The Lambda API with moto as its control plane, the world's clock and metrics; no functions yet."""
    api = LambdaApi({}, timeout=30, control_plane=moto.url, clock=world.clock, metrics=world.metrics, seed=7)
    yield api
    api.close()
