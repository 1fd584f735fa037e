"""The command as the DAG runs it (`python -m mlflow_project.monitoring`): bad arguments and
unusable input end with a clear message and the documented exit code, before any model loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mlflow_project.monitoring.helpers import record, write_lines
from tests.support import REPO

pytestmark = pytest.mark.integration
WINDOW = ("--since", "2026-03-01", "--until", "2026-03-02")


def monitor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mlflow_project.monitoring", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)


def test_an_empty_window_exits_3_saying_what_was_found(tmp_path: Path) -> None:
    write_lines(tmp_path / "logs" / "p.jsonl",
                [json.dumps(record("2026-02-27T10:00:00+00:00")), "{broken"])
    result = monitor("--logs", str(tmp_path / "logs"), *WINDOW, "--out", str(tmp_path / "out"))
    assert result.returncode == 3, result.stderr
    assert ("input unusable: no usable prediction record between 2026-03-01T00:00:00+00:00 and "
            "2026-03-02T00:00:00+00:00") in result.stderr
    assert "1 outside the window, 1 malformed" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_missing_logs_folder_exits_3(tmp_path: Path) -> None:
    result = monitor("--logs", str(tmp_path / "nowhere"), *WINDOW)
    assert result.returncode == 3
    assert f"{tmp_path / 'nowhere'}: no such folder of prediction logs" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("--alpha", "1.5"), "--alpha: Input should be less than 1"),
    (("--since", "yesterday-ish"), "--since: 'yesterday-ish' is not an ISO-8601"),
    (("--since", "2026-03-03", "--until", "2026-03-02"), "must be before --until"),
    (("--engine", "evidently"), "'evidently' is not one of 'alibi', 'scipy'"),
    (("--model-uri", "runs:/abc/model"), "--model-uri: String should match pattern"),
])
def test_bad_arguments_exit_2_naming_the_option(tmp_path: Path, args: tuple[str, ...],
                                                message: str) -> None:
    result = monitor("--logs", str(tmp_path), *args)
    assert result.returncode == 2, result.stderr
    assert message in " ".join(result.stderr.replace("│", " ").split()), result.stderr


@pytest.mark.parametrize(("variables", "message"), [
    ({"TU_MONITOR_TEXT_COMPONENTS": "1"},
     "TU_MONITOR_TEXT_COMPONENTS='1': Input should be greater than or equal to 2"),
    ({"TU_CLOUD_METRICS_MODE": "on"},
     "TU_CLOUD_METRICS_PROJECT=None: Value error, required when TU_CLOUD_METRICS_MODE is on"),
])
def test_a_bad_setting_exits_2_naming_the_variable(tmp_path: Path, variables: dict[str, str],
                                                   message: str) -> None:
    result = subprocess.run([sys.executable, "-m", "mlflow_project.monitoring", "--logs",
                             str(tmp_path)], cwd=REPO, capture_output=True, text=True,
                            timeout=300, check=False, env={**os.environ, **variables})
    assert result.returncode == 2
    assert message in result.stderr
