"""Everything one monitoring run found, and the status that decides its exit code."""

from __future__ import annotations

from dataclasses import dataclass, field

from mlflow_project.monitoring.checks import CheckResult
from mlflow_project.monitoring.config import MonitorConfig
from mlflow_project.monitoring.logs import LogWindow
from mlflow_project.monitoring.quality import QualityResult
from mlflow_project.monitoring.reference import Reference
from mlflow_project.monitoring.volume import Volume
from mlflow_project.monitoring.watched_sample import WatchedSample

OK = "ok"
DRIFT = "drift"
QUALITY_BREACH = "quality_breach"
DRIFT_AND_QUALITY_BREACH = "drift_and_quality_breach"
INSUFFICIENT_DATA = "insufficient_data"


@dataclass(frozen=True)
class ModelIdentity:
    """Which registered version was watched, and its decision threshold."""

    name: str
    version: str
    threshold: float


@dataclass(frozen=True)
class MonitorResult:
    """The inputs' identities and every check's outcome for one window (no check and no
    quality verdict when the watched version's records are fewer than required)."""

    config: MonitorConfig
    window: LogWindow
    watched: WatchedSample
    model: ModelIdentity
    reference: Reference
    checks: list[CheckResult]
    quality: QualityResult | None
    volume: Volume
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def drift(self) -> bool:
        """True when any drift check found drift."""
        return any(check.drift for check in self.checks)

    @property
    def quality_breach(self) -> bool:
        """True when delayed labels were judged and a metric fell beyond the tolerance."""
        return self.quality is not None and self.quality.breach

    @property
    def status(self) -> str:
        """`insufficient_data`, `ok`, `drift`, `quality_breach` or `drift_and_quality_breach`."""
        if not self.watched.sufficient:
            return INSUFFICIENT_DATA
        if self.drift and self.quality_breach:
            return DRIFT_AND_QUALITY_BREACH
        if self.drift:
            return DRIFT
        return QUALITY_BREACH if self.quality_breach else OK

    @property
    def status_line(self) -> str:
        """The status for people: `insufficient data: N of M required records of model NAME vX`
        when the sample is too small, the status itself otherwise."""
        return self.status if self.watched.sufficient else self.watched.status_line()
