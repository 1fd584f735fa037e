"""Model-from-code entry of the demo's deliberately broken model (`demo.flaky`).

MLflow runs this file when it loads such a model. The model scores like the real one, except
that it raises on every ticket whose `source` is one of `failing_sources` in its model config, so
a server answers 500 for those tickets and 200 for the others (`demo.flaky` keeps the source of
the server's warm-up ticket out of `failing_sources`, else the server would never be ready).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from mlflow.models import set_model

from mlflow_project.model.pyfunc import CONFIG_ARTIFACT, TicketUrgencyModel


class FlakyUrgencyModel(TicketUrgencyModel):
    """The urgency model, broken on purpose for tickets from some sources."""

    def __init__(self) -> None:
        super().__init__()
        self._failing: frozenset[str] = frozenset()

    def load_context(self, context: Any) -> None:
        """Load the real model, then the sources it refuses."""
        super().load_context(context)
        with open(context.artifacts[CONFIG_ARTIFACT], encoding="utf-8") as handle:
            self._failing = frozenset(json.load(handle)["failing_sources"])

    def predict_records(self, tickets: Sequence[Mapping[str, object]]
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Raise for a ticket from a failing source; score like the real model otherwise."""
        if any(ticket.get("source") in self._failing for ticket in tickets):
            raise RuntimeError("deliberately broken demo model: it fails tickets from "
                               f"{', '.join(sorted(self._failing))}")
        return super().predict_records(tickets)


set_model(FlakyUrgencyModel())
