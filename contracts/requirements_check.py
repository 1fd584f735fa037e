"""Which of a model's pinned requirements this environment does not meet.

MLflow's own check (`mlflow.pyfunc.load_model` without `suppress_warnings`) maps every installed
distribution to its modules first: about 0.3 s of every model load here, in serving's start-up
and in every batch job. Reading the model's `requirements.txt` and asking `importlib.metadata`
for those few packages gives the same answer in milliseconds, so both load with
`suppress_warnings=True` and call `warn_unmet_requirements` instead.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

REQUIREMENTS_FILE = "requirements.txt"


def unmet_requirements(model_folder: Path) -> list[str]:
    """One line per requirement in the model's `requirements.txt` that is missing or mismatched."""
    path = model_folder / REQUIREMENTS_FILE
    if not path.is_file():
        return []
    unmet = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if not text or text.startswith("-"):
            continue
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            unmet.append(f"{text} (unreadable requirement)")
            continue
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            unmet.append(f"{requirement} (not installed)")
            continue
        if not requirement.specifier.contains(installed, prereleases=True):
            unmet.append(f"{requirement} (installed: {installed})")
    return unmet


def warn_unmet_requirements(model_folder: Path, log: logging.Logger) -> None:
    """One warning naming every unmet requirement (the model may still work), none when all
    are met."""
    unmet = unmet_requirements(model_folder)
    if unmet:
        log.warning("the model's requirements are not met here: %s", "; ".join(unmet))
