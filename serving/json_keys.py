"""Duplicate keys in a JSON request body: `{"title": "a", "title": "b"}` is ambiguous.

JSON (RFC 8259) only says keys SHOULD be unique, and pydantic, like most parsers, silently keeps
the last value, so a client and a proxy or log reader that keeps the first would disagree on what
was scored. The service refuses such a body instead, naming the key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _refuse_duplicates(pairs: Iterable[tuple[str, Any]]) -> None:
    """`object_pairs_hook` for every object, at any depth: raise on a key seen twice (the
    object itself is not needed, so nothing is built)."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen.add(key)


def duplicate_key(body: bytes) -> str | None:
    """The first key that appears twice in one object of the JSON `body`, at any depth; None
    when every object's keys are unique, or when `body` is not JSON at all (the schema
    validation then reports that, in its own words)."""
    try:
        json.loads(body, object_pairs_hook=_refuse_duplicates)
    except _DuplicateKey as exc:
        return exc.key
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested beyond Python's limit
        return None
    return None
