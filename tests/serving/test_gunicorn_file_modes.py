"""gunicorn's master sets umask 027 before forking workers: what the service creates is 0640."""

from __future__ import annotations

import os
import runpy
import stat
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_when_ready_makes_new_files_unreadable_to_others(tmp_path: Path) -> None:
    config = runpy.run_path(str(REPO / "serving" / "gunicorn.conf.py"))
    previous = os.umask(0o022)
    try:
        config["when_ready"](None)
        (tmp_path / "created").write_text("ticket text")
        (tmp_path / "folder").mkdir()
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "created").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "folder").stat().st_mode) == 0o750
