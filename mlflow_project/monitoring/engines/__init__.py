"""Drift engines behind one interface (`base.DriftEngine`): alibi-detect (default) or scipy.

Importing this package is cheap; an engine's module, and alibi-detect itself, load on demand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlflow_project.monitoring.engines.names import Correction, EngineName

if TYPE_CHECKING:
    from mlflow_project.monitoring.engines.base import DriftEngine

__all__ = ["Correction", "EngineName", "get_engine"]


def get_engine(name: EngineName) -> DriftEngine:
    """The engine called `name`."""
    if name is EngineName.ALIBI:
        from mlflow_project.monitoring.engines.alibi import AlibiEngine

        return AlibiEngine()
    from mlflow_project.monitoring.engines.scipy_engine import ScipyEngine

    return ScipyEngine()
