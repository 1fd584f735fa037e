"""The people's commands answer `--help` without importing the heavy libraries: MLflow, pandas,
scikit-learn and SciPy load only when a command that needs them runs (issue 22); and a command
that only reads or writes the registry does not import `scipy.stats`, which only the gate's
statistics need.

Each check runs in a fresh interpreter and reads `sys.modules`; it measures no time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO

HEAVY = ("mlflow", "sklearn", "pandas", "scipy")

LOADED = """
import json, sys
from typer.testing import CliRunner
import {module}
result = CliRunner().invoke({module}.{app}, {args!r})
assert result.exit_code == 0, result.output
print(json.dumps(sorted(sys.modules)))
"""


def loaded_after(module: str, app: str, args: list[str], store: Path) -> set[str]:
    """The modules in `sys.modules` after `module.app` ran `args` in a new process (on a
    throw-away tracking store, in case a command reaches it)."""
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{store / 'mlflow.db'}"}
    done = subprocess.run([sys.executable, "-c", LOADED.format(module=module, app=app, args=args)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(("module", "app", "args"), [
    ("registry_tools.cli", "build_app()", ["--help"]),
    ("deploy.registry_tools_cli", "app", ["--help"]),  # the `registry-tools` console script
    ("deploy.registry_tools_cli", "app", ["ab", "--help"]),
    ("deploy.registry_tools_cli", "app", ["ab", "start", "--help"]),
    ("deploy.local.stack.cli", "app", ["--help"]),  # `local-stack`
])
def test_help_imports_no_heavy_library(module: str, app: str, args: list[str],
                                       tmp_path: Path) -> None:
    assert _packages(loaded_after(module, app, args, tmp_path)) & set(HEAVY) == set()


@pytest.mark.parametrize(("module", "app", "args"), [
    ("deploy.registry_tools_cli", "app", ["status"]),
    ("deploy.registry_tools_cli", "app", ["history"]),
    ("mlflow_project.cli", "app", ["ensure-experiment", "--name", "imports"]),
])
def test_registry_commands_import_no_statistics(module: str, app: str, args: list[str],
                                                tmp_path: Path) -> None:
    # scipy.stats (~0.4 s) is for the gate's bootstrap; the settings used to pull it in. That
    # MLflow is loaded shows these checks can fail: reading the registry imports it.
    loaded = loaded_after(module, app, args, tmp_path)
    assert "mlflow" in _packages(loaded)
    assert "scipy.stats" not in loaded


def _packages(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}
