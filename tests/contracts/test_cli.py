"""`run_cli`: what every console script of the platform does around its app."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT

# A checker registered before `run_cli` runs after run_cli's own exit handler (LIFO), and sees
# what the interpreter's shutdown will see.
AT_EXIT = """
import atexit, gc, sys
atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > 0, flush=True))
from contracts.cli import run_cli
garbage = [[n] for n in range(10_000)]
def app():
    print("app ran", flush=True)
    {ending}
run_cli(app)
"""


def _run(ending: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", AT_EXIT.format(ending=ending)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60, check=False)


def test_objects_are_frozen_out_of_the_collector_only_at_exit() -> None:
    """Shutdown then frees them without tracing them all (bench/cli_exit.py); while the app
    runs, the collector works as usual."""
    done = _run("assert gc.get_freeze_count() == 0, 'frozen while running'")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["app ran", "frozen at exit: True"]


def test_a_failing_command_still_exits_with_its_code_and_message() -> None:
    done = _run("raise SystemExit(5)")
    assert done.returncode == 5
    assert done.stdout.splitlines() == ["app ran", "frozen at exit: True"]
    crashed = _run("raise RuntimeError('boom')")
    assert crashed.returncode == 1
    assert "RuntimeError: boom" in crashed.stderr
    assert crashed.stdout.splitlines()[-1] == "frozen at exit: True"
