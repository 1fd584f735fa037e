"""`${NAME}` placeholders in the deploy definitions (the batch Cloud Run Job, the telemetry
files), filled one way.

Only upper-case names are placeholders, so what the APIs themselves template (`${metric.labels.x}`
in chart legends and alert documentation) is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


class UnknownPlaceholder(ValueError):
    """A `${NAME}` with no value; the message names it and the names there are."""


def render(node: Any, values: Mapping[str, Any]) -> Any:
    """Fill `${NAME}` placeholders in every string of a parsed YAML/JSON document.

    A string that is one placeholder takes the value's type (`maxRetries: ${MAX_RETRIES}` stays
    an integer, `notificationChannels: ${NOTIFICATION_CHANNELS}` becomes a list); a placeholder
    inside a longer string is text. An unknown name raises UnknownPlaceholder.
    """
    if isinstance(node, dict):
        return {key: render(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [render(item, values) for item in node]
    if not isinstance(node, str):
        return node
    whole = PLACEHOLDER.fullmatch(node.strip())
    if whole and whole.group(1) in values:
        return values[whole.group(1)]

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise UnknownPlaceholder(f"${{{name}}} is not one of {', '.join(sorted(values))}")
        return str(values[name])

    return PLACEHOLDER.sub(fill, node)
