"""The README's blocks marked `<!-- runnable -->` run exactly as written.

Each marked block runs under `bash -euo pipefail` in a copy of the checkout (the project's `.venv`
linked in, NOT on PATH: the README promises no activation is needed), against a private copy of
the session's trained store (v1 @production, v2 @challenger). A block states the exit codes it
documents with `cmd || test $? = N`, so a code other than the one written fails it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.registry_tools.ab.support import copy_store
from tests.support import REPO

pytestmark = pytest.mark.integration

VENV = Path(sys.executable).parent.parent  # the project environment running these tests
MARKER = "<!-- runnable -->"
MARKER_LINE = re.compile(rf"^{re.escape(MARKER)}$", re.MULTILINE)
BLOCK = re.compile(rf"^{re.escape(MARKER)}\n```bash\n(.*?)\n```", re.DOTALL | re.MULTILINE)


def runnable_blocks(readme: str) -> list[str]:
    """The bash blocks the README marks runnable (the marker is the line before the fence)."""
    return BLOCK.findall(readme)


def test_a_marker_always_opens_a_bash_block() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(MARKER_LINE.findall(readme)) == len(runnable_blocks(readme))


def test_the_block_extractor_takes_marked_blocks_only() -> None:
    text = (f"```bash\nnot this\n```\n{MARKER}\n```bash\nmake a\nmake b\n```\n"
            f"{MARKER}\n\n```bash\nno: a blank line apart\n```\n")
    assert runnable_blocks(text) == ["make a\nmake b"]


def checkout_copy(into: Path) -> Path:
    """The checkout's files (tracked or new, not ignored) with their times, and `.venv` linked to
    the environment running the tests (so `make install` finds it up to date); nothing of the
    checkout's own state."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    (into / ".venv").symlink_to(VENV)
    return into


def environment(store_uri: str) -> dict[str, str]:
    """This process's environment without the venv on PATH and with the private store."""
    path = [part for part in os.environ["PATH"].split(os.pathsep)
            if part and Path(part).resolve() != (VENV / "bin").resolve()]
    env = {key: value for key, value in os.environ.items()
           if key not in {"VIRTUAL_ENV", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    return {**env, "PATH": os.pathsep.join(path), "MLFLOW_TRACKING_URI": store_uri,
            "TU_ACTOR": "readme-test", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}


@pytest.mark.parametrize("index", range(len(runnable_blocks(
    (REPO / "README.md").read_text(encoding="utf-8")))))
def test_runnable_block_runs_as_written(index: int, trained_store: Path, tmp_path: Path) -> None:
    block = runnable_blocks((REPO / "README.md").read_text(encoding="utf-8"))[index]
    work = checkout_copy(tmp_path / "checkout")
    store = copy_store(trained_store, tmp_path / "store")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=work,
                            env=environment(store.uri), capture_output=True, text=True,
                            timeout=600, check=False)
    assert result.returncode == 0, (f"README block {index} failed (exit {result.returncode}):\n"
                                    f"{block}\n--- stdout\n{result.stdout[-3000:]}\n"
                                    f"--- stderr\n{result.stderr[-4000:]}")


def test_there_are_runnable_blocks() -> None:
    """At least the registry tools' and the monitoring's blocks are checked."""
    blocks = runnable_blocks((REPO / "README.md").read_text(encoding="utf-8"))
    assert any("registry-tools" in block for block in blocks)
    assert any("make monitor" in block for block in blocks)
