"""`make train` / `make tune` pass each MLproject parameter set as its upper-case make variable
(`C=0.5 TARGET_RECALL=0.9`) through to `mlflow run -P`, and nothing that was not set."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from tests.support import REPO

NOT_FROM_MAKE = {"data", "experiment_name"}  # DATA and EXPERIMENT have their own variables


def _mlproject_parameters(entry_point: str) -> list[str]:
    spec = yaml.safe_load((REPO / "mlflow_project" / "MLproject").read_text(encoding="utf-8"))
    return [p for p in spec["entry_points"][entry_point]["parameters"] if p not in NOT_FROM_MAKE]


def _dry_run(target: str, *assignments: str) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    result = subprocess.run(["make", "-n", "-o", "install", target, *assignments], cwd=REPO,
                            capture_output=True, text=True, check=True, timeout=60)
    return result.stdout


def _overrides(printed: str) -> dict[str, str]:
    return dict(re.findall(r"-P (\w+)=(\S+)", printed))


@pytest.mark.parametrize("entry_point", ["train", "tune"])
def test_every_parameter_passes_through_from_its_upper_case_variable(entry_point: str) -> None:
    parameters = _mlproject_parameters(entry_point)
    values = {name: f"value-of-{name}" for name in parameters}
    printed = _dry_run(entry_point, *(f"{name.upper()}={v}" for name, v in values.items()))
    assert {k: v for k, v in _overrides(printed).items() if k not in NOT_FROM_MAKE} == values


@pytest.mark.parametrize("entry_point", ["train", "tune"])
def test_unset_variables_leave_mlproject_defaults_alone(entry_point: str) -> None:
    printed = _dry_run(entry_point)
    assert set(_overrides(printed)) == NOT_FROM_MAKE
    only_c = _overrides(_dry_run(entry_point, "C=0.5"))
    assert set(only_c) == NOT_FROM_MAKE | {"C"}
    assert only_c["C"] == "0.5"
