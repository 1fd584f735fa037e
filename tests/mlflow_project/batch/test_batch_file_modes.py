"""Batch outputs and rejects hold ticket text: created 0640 whatever the caller's umask."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from tests.mlflow_project.batch.conftest import PYTHON, REPO, RegisteredModel
from tests.support import BIN


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _loose_umask() -> None:
    os.umask(0o022)  # the usual default, which would make them 0644


def test_batch_outputs_and_rejects_are_not_world_readable(
        registered_model: RegisteredModel, messy_csv: Path, out_dir: Path) -> None:
    result = subprocess.run(
        [PYTHON, "-m", "mlflow_project.batch", "--input", str(messy_csv),
         "--output", str(out_dir / "p.csv"), "--no-progress"],
        cwd=REPO, env=registered_model.env(), capture_output=True, text=True, timeout=300,
        check=False, preexec_fn=_loose_umask)
    assert result.returncode == 0, result.stderr[-2000:]
    assert _mode(out_dir / "p.csv") == 0o640
    assert _mode(out_dir / "p.rejects.csv") == 0o640


def test_validation_rejects_are_not_world_readable(messy_csv: Path, out_dir: Path) -> None:
    rejects = out_dir / "rejects.csv"
    result = subprocess.run(
        [str(BIN / "ticket-urgency"), "validate", "--data", str(messy_csv), "--rejects",
         str(rejects)], cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
        preexec_fn=_loose_umask)
    assert rejects.is_file(), result.stderr[-2000:]
    assert _mode(rejects) == 0o640
