"""What a stack's OpenTelemetry choice adds to each function: the collector layer and X-Ray's write
actions for the collector, once, whether active tracing is on or not."""

from __future__ import annotations

from typing import Any

import pytest

from components.service import collector_statements, function_layers
from model.contract import FunctionContract
from model.iam import xray_statement
from tests.test_config import settings

COLLECTOR = "arn:aws:lambda:eu-west-1:901920570463:layer:aws-otel-collector-arm64-ver-0-117-0:1"
EXTENSION = "arn:aws:lambda:eu-west-1:123456789012:layer:rustlambda-dev-telemetry-extension:3"


@pytest.mark.parametrize(
    ("open_telemetry", "tracing", "layers", "statements"),
    [
        ({}, False, [EXTENSION], []),
        ({"enabled": True, "collectorLayerArn": COLLECTOR}, False, [EXTENSION, COLLECTOR], [xray_statement()]),
        # Active tracing grants the same statement already: a second one would repeat its Sid.
        ({"enabled": True, "collectorLayerArn": COLLECTOR}, True, [EXTENSION, COLLECTOR], []),
        ({"enabled": True, "exporter": "logs"}, False, [EXTENSION], []),
        ({"enabled": False, "collectorLayerArn": COLLECTOR}, False, [EXTENSION], []),
    ],
)
def test_the_collector_brings_its_layer_and_xray_once(
    contracts: dict[str, FunctionContract],
    open_telemetry: dict[str, Any],
    tracing: bool,
    layers: list[str],
    statements: list[dict[str, Any]],
) -> None:
    stack = settings(contracts, openTelemetry=open_telemetry)
    assert function_layers(EXTENSION, stack) == layers
    assert collector_statements(stack, tracing) == statements
