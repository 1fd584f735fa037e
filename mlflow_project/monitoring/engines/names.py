"""Names a user picks on the command line: the engine and the correction (no heavy imports)."""

from __future__ import annotations

from enum import StrEnum


class EngineName(StrEnum):
    """The drift engines a run can use."""

    ALIBI = "alibi"
    SCIPY = "scipy"


class Correction(StrEnum):
    """How per-feature p-values are combined into one verdict."""

    BONFERRONI = "bonferroni"
    FDR = "fdr"
