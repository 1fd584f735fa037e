"""A model's pinned requirements against what is installed: named when unmet, silent when met."""

from __future__ import annotations

import logging
from importlib.metadata import version
from pathlib import Path

import pytest

from contracts.requirements_check import unmet_requirements, warn_unmet_requirements

INSTALLED = version("packaging")


def _model_folder(tmp_path: Path, *lines: str) -> Path:
    (tmp_path / "requirements.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def test_met_requirements_comments_and_pip_options_give_nothing(tmp_path: Path) -> None:
    folder = _model_folder(tmp_path, "# pinned at logging time", "", "-r base.txt",
                           "--index-url https://example.org/simple",
                           f"packaging=={INSTALLED}  # the installed one")
    assert unmet_requirements(folder) == []


def test_a_folder_without_requirements_gives_nothing(tmp_path: Path) -> None:
    assert unmet_requirements(tmp_path) == []


def test_each_unmet_requirement_is_one_line_saying_why(tmp_path: Path) -> None:
    folder = _model_folder(tmp_path, "no-such-package-tu==1.0", "packaging<1",
                           "this is not a requirement !!", f"packaging>={INSTALLED}")
    assert unmet_requirements(folder) == [
        "no-such-package-tu==1.0 (not installed)",
        f"packaging<1 (installed: {INSTALLED})",
        "this is not a requirement !! (unreadable requirement)",
    ]


def test_the_warning_names_every_unmet_requirement_once(tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("tests.requirements")
    with caplog.at_level(logging.WARNING, logger=log.name):
        warn_unmet_requirements(_model_folder(tmp_path, f"packaging=={INSTALLED}"), log)
        assert caplog.records == []
        warn_unmet_requirements(_model_folder(tmp_path, "packaging<1", "no-such-package-tu"), log)
    (record,) = caplog.records
    assert record.getMessage() == (
        "the model's requirements are not met here: "
        f"packaging<1 (installed: {INSTALLED}); no-such-package-tu (not installed)")
