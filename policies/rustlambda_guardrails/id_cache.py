"""A per-thread cache keyed by object identity, for values derived from one request's objects
(decoded properties, their proxies, their plain copies) that every policy of the pack asks for.

Keyed by id() and holding the key itself, so an entry never answers for another object that reused
the id; cleared when full, since a request's objects are not asked for after the next requests."""

from __future__ import annotations

import threading
from typing import Any


class IdCache(threading.local):
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self.entries: dict[int, tuple[object, Any]] = {}

    def get(self, key: object) -> Any:
        entry = self.entries.get(id(key))
        return entry[1] if entry is not None and entry[0] is key else None

    def put(self, key: object, value: Any) -> Any:
        if len(self.entries) >= self.max_entries:
            self.entries.clear()
        self.entries[id(key)] = (key, value)
        return value
