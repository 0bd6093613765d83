"""scheduled-job end to end: a scheduled event deletes exactly the items older than the retention."""

from __future__ import annotations

import json

from harness.aws import create_table, scan_all
from harness.functions import WORKSPACE
from harness.moto import MotoServer
from tests.e2e.conftest import StartFunction

EVENT = json.loads((WORKSPACE / "scheduled-job" / "tests" / "fixtures" / "scheduled-event.json").read_text())
# The fixture fires at 2026-11-27T12:00:00Z; with RETENTION_DAYS=30 the cutoff is 30 days earlier.
CUTOFF = 1_793_188_800


def test_deletes_exactly_the_expired_items(start_function: StartFunction, moto: MotoServer, unique: str) -> None:
    table = create_table(moto, f"items-{unique}", "id")
    dynamodb = moto.client("dynamodb")
    ages = {f"old-{i}": CUTOFF - 1 - i * 3600 for i in range(30)}
    ages |= {"at-cutoff": CUTOFF, "new": CUTOFF + 86_400}
    for item_id, created_at in ages.items():
        dynamodb.put_item(TableName=table, Item={"id": {"S": item_id}, "created_at": {"N": str(created_at)}})
    dynamodb.put_item(TableName=table, Item={"id": {"S": "undated"}})

    function = start_function("scheduled-job", {"ITEMS_TABLE": table})
    result = function.invoke(EVENT)
    assert result.body == {
        "cutoff": CUTOFF,
        "retention_days": 30,
        "scanned": 33,
        "expired": 30,
        "deleted": 30,
        "failed": 0,
    }
    assert sorted(item["id"]["S"] for item in scan_all(moto, table)) == ["at-cutoff", "new", "undated"]
