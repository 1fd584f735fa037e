"""What a plan is made of: API calls with their typed requests, each with the reason for it.

A `Call` names a client (an attribute of `clients.Clients`), its method and the arguments, built
as the client library's own types (`CreateLogMetricRequest`, `run_v2.Service`, a BigQuery
`Dataset`, ...): the executor sends exactly that, and a dry run prints exactly that.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message
from proto import Message as TypedMessage

HIDDEN = "(hidden)"
SECRET_FIELDS = frozenset({"password", "data"})  # a user's password, a secret version's payload


@dataclass(frozen=True)
class Call:
    """One request: `clients.<client>.<method>(**arguments)`."""

    client: str
    method: str
    arguments: Mapping[str, Any]


@dataclass(frozen=True)
class Action:
    """A call the plan makes, and why (what is missing or which fields differ)."""

    reason: str
    call: Call


def describe(action: Action) -> str:
    """The action as a dry run prints it: the reason, then the call with each argument's type and
    JSON; passwords and secret payloads are shown as `(hidden)`."""
    lines = [f"# {action.reason}", f"{action.call.client}.{action.call.method}("]
    for name, value in action.call.arguments.items():
        lines.append(f"  {name}={type(value).__name__} "
                     + json.dumps(_hidden(as_json(value)), indent=2, sort_keys=True)
                     .replace("\n", "\n  ") + ",")
    lines.append(")")
    return "\n".join(lines)


def as_json(value: Any) -> Any:
    """An argument as plain JSON data, whichever library's type it is."""
    if isinstance(value, TypedMessage):
        return json_format.MessageToDict(type(value).pb(value))
    if isinstance(value, Message):
        return json_format.MessageToDict(value)
    if hasattr(value, "to_api_repr"):  # BigQuery's Dataset, api_core's IAM Policy
        return value.to_api_repr()
    if hasattr(value, "_properties"):  # a storage Bucket: its JSON API resource, as it is sent
        return {"name": value.name, **value._properties}
    return value


def _hidden(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: HIDDEN if key in SECRET_FIELDS else _hidden(item)
                for key, item in data.items()}
    if isinstance(data, list):
        return [_hidden(item) for item in data]
    return data
