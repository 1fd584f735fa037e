"""A deliberately broken model version, for rehearsing what catches it (`make rollout-rehearsal`).

`register_flaky` registers a fitted demo pipeline (`demo.model`) with an inference entry
(`demo/flaky_model_code.py`) that raises on every ticket from the given sources. It loads, warms
up and becomes ready like any version, so only real traffic shows the fault: with `email`
failing, the rollout's smoke ticket (a `web` ticket) passes and the watched steps must catch
the 5xx answers; with `web` failing, the smoke test itself fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from demo.model import DemoModel, FittedDemo, register_fitted
from serving.model_loader import WARM_UP_TICKET

FLAKY_MODEL_CODE = Path(__file__).resolve().parent / "flaky_model_code.py"


def register_flaky(fitted: FittedDemo, experiment: str,
                   failing_sources: Sequence[str]) -> DemoModel:
    """Register `fitted` as a version that fails tickets from `failing_sources` (no alias)."""
    if WARM_UP_TICKET["source"] in failing_sources:
        raise ValueError(f"a model failing {WARM_UP_TICKET['source']} tickets fails the "
                         "server's warm-up and never serves")
    return register_fitted(fitted, experiment, alias=None, model_code=FLAKY_MODEL_CODE,
                           extra_config={"failing_sources": sorted(failing_sources)})
