"""`${NAME}` placeholders of the deploy definitions (batch Job, telemetry), filled one way."""

from __future__ import annotations

import pytest

from deploy.cloudrun.templates import UnknownPlaceholder, render


def test_render_fills_placeholders_keeps_types_and_refuses_unknown_names() -> None:
    values = {"PROJECT": "p", "CHANNELS": ["a", "b"], "MAX_RETRIES": 3}
    assert render({"x": ["projects/${PROJECT}/y", "${CHANNELS}", 3, "${metric.label}"],
                   "maxRetries": "${MAX_RETRIES}"}, values) == {
        "x": ["projects/p/y", ["a", "b"], 3, "${metric.label}"], "maxRetries": 3}
    with pytest.raises(UnknownPlaceholder, match=r"\$\{PROJCT\} is not one of"):
        render("projects/${PROJCT}", values)
