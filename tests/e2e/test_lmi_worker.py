"""lmi-worker end to end.

One invocation at a time under aws-lambda-rie (as on classic Lambda); then, against our own Runtime
API (harness/runtime_api.py), as on Managed Instances: 64 invocations in flight together in ONE
process, a panicking request failing alone, and SIGTERM with requests in flight losing none.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness import functions
from harness.aws import create_table
from harness.gate_proxy import GateProxy
from harness.moto import MotoServer
from harness.processes import stop
from harness.runtime_api import RuntimeApi
from model.contract import FunctionContract
from tests.e2e.conftest import StartFunction

CONCURRENCY = 64
# The Managed Instances tests (many invocations in flight in one process) run on the Rust builds
# only: the Python baseline (harness/baselines/lmi-worker) is sequential, as awslambdaric serves one
# invocation at a time, so it takes part in the one-at-a-time scenario only.
concurrent_flavours = pytest.mark.parametrize(
    "flavour", [f for f in functions.FLAVOURS if f != "python"], indirect=True
)


def put_items(moto: MotoServer, table: str, count: int) -> None:
    for i in range(count):
        moto.client("dynamodb").put_item(
            TableName=table,
            Item={"id": {"S": f"item-{i}"}, "name": {"S": f"Item {i}"}, "quantity": {"N": str(i)}},
        )


def test_one_at_a_time_under_the_emulator(start_function: StartFunction, moto: MotoServer, unique: str) -> None:
    table = create_table(moto, f"items-{unique}", "id")
    put_items(moto, table, 2)
    function = start_function("lmi-worker", {"ITEMS_TABLE": table})
    first = function.invoke({"item_ids": ["item-0", "item-1", "nope"]})
    assert first.body == {
        "items": [
            {"id": "item-0", "name": "Item 0", "quantity": 0},
            {"id": "item-1", "name": "Item 1", "quantity": 1},
        ],
        "missing": ["nope"],
        "cache_hits": 0,
    }
    assert function.invoke({"item_ids": ["item-1"]}).body["cache_hits"] == 1
    bad = function.invoke({"item_ids": []})
    assert bad.body == {"errorType": "InvalidRequest", "errorMessage": "field 'item_ids' must hold 1 to 100 ids, got 0"}


class Worker:
    """One lmi-worker process polling our Runtime API with AWS_LAMBDA_MAX_CONCURRENCY=64."""

    def __init__(self, command: list[str], env: dict[str, str], log_path: Path) -> None:
        self.api = RuntimeApi("lmi-worker", memory_mb=2048, version="1")
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            command,
            env={**self.api.runtime_env(), "AWS_LAMBDA_MAX_CONCURRENCY": str(CONCURRENCY), **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def close(self) -> None:
        stop(self.process)
        self.api.close()
        self._log.close()


StartWorker = Callable[..., Worker]


@pytest.fixture
def worker_factory(
    request: pytest.FixtureRequest,
    flavour: str,
    moto: MotoServer,
    contracts: dict[str, FunctionContract],
    unique: str,
    tmp_path: Path,
) -> Iterator[tuple[GateProxy, StartWorker]]:
    binaries: Path = request.getfixturevalue(f"{flavour}_binaries")
    table = create_table(moto, f"items-{unique}", "id")
    put_items(moto, table, CONCURRENCY)
    gate = GateProxy(moto.url)
    workers: list[Worker] = []

    def start(extra_env: dict[str, str] | None = None) -> Worker:
        env = {
            **functions.function_env(contracts["lmi-worker"], {"ITEMS_TABLE": table}),
            **moto.function_env(),
            "AWS_ENDPOINT_URL": gate.url,
            **(extra_env or {}),
        }
        worker = Worker(functions.command(flavour, "lmi-worker", binaries), env, tmp_path / "worker.log")
        workers.append(worker)
        return worker

    yield gate, start
    for worker in workers:
        worker.close()
    gate.close()


@concurrent_flavours
def test_64_invocations_in_flight_together(worker_factory: tuple[GateProxy, StartWorker]) -> None:
    gate, start = worker_factory
    worker = start()
    ids = [worker.api.submit({"item_ids": [f"item-{i}"]}) for i in range(CONCURRENCY)]
    # Every invocation is inside its DynamoDB call, held at the gate, at the same time.
    gate.wait_held(CONCURRENCY, timeout=120)
    assert worker.api.state.max_in_flight == CONCURRENCY
    gate.open()
    outcomes = worker.api.wait_for(ids, timeout=120)
    for i, request_id in enumerate(ids):
        assert outcomes[request_id].kind == "response"
        assert outcomes[request_id].body["items"] == [{"id": f"item-{i}", "name": f"Item {i}", "quantity": i}]
    assert worker.process.poll() is None


@concurrent_flavours
def test_a_panicking_request_fails_alone(worker_factory: tuple[GateProxy, StartWorker]) -> None:
    gate, start = worker_factory
    gate.open()
    worker = start({"LMI_PANIC_ON_ITEM_ID": "boom"})
    ids = [worker.api.submit({"item_ids": [f"item-{i}"]}) for i in range(20)]
    poisoned = worker.api.submit({"item_ids": ["item-1", "boom"]})
    ids += [worker.api.submit({"item_ids": [f"item-{i}"]}) for i in range(20, 40)]
    outcomes = worker.api.wait_for([*ids, poisoned], timeout=120)
    assert outcomes[poisoned].kind == "error"
    assert "fault injection" in str(outcomes[poisoned].body)
    assert all(outcomes[r].kind == "response" for r in ids)
    after = worker.api.submit({"item_ids": ["item-5"]})
    assert worker.api.wait_for([after], timeout=60)[after].kind == "response"
    assert worker.process.poll() is None


@concurrent_flavours
def test_sigterm_finishes_every_invocation_in_flight(worker_factory: tuple[GateProxy, StartWorker]) -> None:
    gate, start = worker_factory
    worker = start()
    ids = [worker.api.submit({"item_ids": [f"item-{i}"]}) for i in range(CONCURRENCY)]
    gate.wait_held(CONCURRENCY, timeout=120)
    worker.process.send_signal(signal.SIGTERM)
    with pytest.raises(subprocess.TimeoutExpired):
        worker.process.wait(timeout=1)  # still draining: it must not exit with work in flight
    gate.open()
    outcomes = worker.api.wait_for(ids, timeout=120)
    assert all(outcome.kind == "response" for outcome in outcomes.values())
    assert worker.process.wait(timeout=30) == 0
