"""Does a resource as it exists match its definition? Compared field by field as API messages.

Only the fields a definition sets are compared, at every depth: the API fills in names,
timestamps, etags, condition ids and defaults of its own, and those must not read as a difference
(else every run would update everything). A map the definition sets (label extractors, user
labels) must match exactly, and a list (conditions, widgets) must have as many entries, each
compared the same way, so an entry removed from a map or a list is a difference. A field deleted
from a file is not noticed; an update of that resource for any other reason replaces it whole.
Text compares with runs of whitespace as one space: the APIs drop line breaks and trailing
newlines (a YAML block's), and in filters and Markdown they mean nothing.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from proto import Message as TypedMessage

WELL_KNOWN = "google.protobuf."  # Duration, wrappers: compared as values, zero included


def differences(desired: TypedMessage | Message, observed: TypedMessage | Message) -> list[str]:
    """The JSON paths of the fields `desired` sets that `observed` has otherwise (none: equal);
    both are messages of one type, the client library's or plain protobuf."""
    return _diff(_raw(desired), _raw(observed), "")


def _raw(message: TypedMessage | Message) -> Message:
    return type(message).pb(message) if isinstance(message, TypedMessage) else message


def _diff(want: Message, have: Message, path: str) -> list[str]:
    found: list[str] = []
    for field, value in want.ListFields():
        where = path + field.json_name
        other = getattr(have, field.name)
        if _is_map(field) or _is_well_known(field):
            same = _plain(value) == _plain(other)
        elif field.is_repeated and field.message_type is not None:
            if len(value) != len(other):
                same = False
            else:
                for index, (a, b) in enumerate(zip(value, other, strict=True)):
                    found += _diff(a, b, f"{where}[{index}].")
                same = True
        elif field.message_type is not None:
            found += _diff(value, other, where + ".")
            same = True
        else:
            same = _plain(value) == _plain(other)
        if not same:
            found.append(where)
    return found


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def _is_well_known(field: FieldDescriptor) -> bool:
    return (field.message_type is not None
            and field.message_type.full_name.startswith(WELL_KNOWN))


def _plain(value: Any) -> Any:
    """A field's value as plain data: maps as dicts, repeated fields as lists."""
    if isinstance(value, Message):
        return value.SerializeToString(deterministic=True)
    if hasattr(value, "items"):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, str):
        return " ".join(value.split())
    if hasattr(value, "__len__") and not isinstance(value, bytes):
        return [_plain(item) for item in value]
    return value
