"""How many of the window's records the watched version produced, and whether that is enough.

Below `TU_MONITOR_MIN_RECORDS` records of the watched version a run gives no drift verdict: its
status is `insufficient_data` (exit 13). The default, `DEFAULT_MIN_RECORDS` = 100, is the
smallest window `bench/monitor_calibration.py` calibrates (its `SIZES` start there): the
false-alarm rate of the seven checks at alpha/7 each is measured from 100 records on and nowhere
below, so a smaller window would be judged at a rate nobody measured. A closed form says the
same for the KS checks (reference much larger than the window, asymptotic Kolmogorov
distribution): at level a = 0.05/7 a window of m records flags only a distance
D > sqrt(ln(2/a)/2)/sqrt(m) = 1.68/sqrt(m): 0.75 for 5 records (three quarters of the
distribution must move before anything can be seen), 0.17 for 100.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

DEFAULT_MIN_RECORDS = 100


@dataclass(frozen=True)
class WatchedSample:
    """The watched version's record count against the floor, and every version's count."""

    model_name: str
    model_version: str
    records: int
    required: int
    by_version: dict[str, int]

    @property
    def sufficient(self) -> bool:
        """True when the watched version produced at least `required` records."""
        return self.records >= self.required

    @property
    def model(self) -> str:
        """`NAME vVERSION` of the watched version."""
        return version_label(self.model_name, self.model_version)

    def others(self) -> str:
        """The other versions in the window with their record counts, or `none`."""
        others = {label: n for label, n in self.by_version.items() if label != self.model}
        return ", ".join(f"{label}: {records_text(n)}" for label, n in others.items()) or "none"

    def describe(self) -> str:
        """One line for people: which version was watched, how many records, the floor."""
        return (f"{self.model}: {records_text(self.records)} ({self.required:,} required); "
                f"other versions in the window: {self.others()}")

    def status_line(self) -> str:
        """`insufficient data: N of M required records of model NAME vX` (and what else the
        window holds when the watched version is absent from it)."""
        line = (f"insufficient data: {self.records:,} of {self.required:,} required records "
                f"of model {self.model}")
        return line if self.records else f"{line} (the window holds {self.others()})"


def records_text(count: int) -> str:
    """`1 record`, `2,000 records`."""
    return f"{count:,} record{'' if count == 1 else 's'}"


def version_label(name: str, version: str) -> str:
    """How a model version is named in reports: `NAME vVERSION` (as `watched_sample` counts)."""
    return f"{name} v{version}"


def watched_sample(records: pd.DataFrame, name: str, version: str,
                   required: int) -> WatchedSample:
    """Count the window's records per model version and those of the watched one."""
    labels = records["model_name"].astype(str) + " v" + records["model_version"].astype(str)
    by_version = {str(label): int(n) for label, n in labels.value_counts().sort_index().items()}
    return WatchedSample(model_name=name, model_version=version,
                         records=by_version.get(version_label(name, version), 0),
                         required=required, by_version=by_version)
