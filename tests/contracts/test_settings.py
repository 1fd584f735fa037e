"""The settings root: one error format for every package, and every settings class under it."""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.settings import PlatformSettings, SettingsError

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PRODUCT_PACKAGES = ("contracts", "mlflow_project", "serving", "registry_tools",
                    "deploy")


class ExampleSettings(PlatformSettings):
    """A settings class of the shape every package has: a prefix, a secret, a URI."""

    model_config = SettingsConfigDict(env_prefix="TU_EXAMPLE_")

    settings_title: ClassVar[str] = "example settings"
    secret_fields: ClassVar[frozenset[str]] = frozenset({"token"})

    port: int = Field(default=8080, ge=1, le=65535)
    store_uri: str = Field(default="http://127.0.0.1:5000", pattern=r"^https?://")
    token: str = Field(default="t" * 20, min_length=20)


def _error(monkeypatch: pytest.MonkeyPatch, **values: str) -> str:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        ExampleSettings.load()
    return str(raised.value)


def test_each_bad_variable_is_named_with_its_prefix_value_and_rule(
        monkeypatch: pytest.MonkeyPatch) -> None:
    message = _error(monkeypatch, TU_EXAMPLE_PORT="0", TU_EXAMPLE_STORE_URI="ftp://x")
    lines = message.splitlines()
    assert lines[0] == "invalid example settings:"
    assert "  TU_EXAMPLE_PORT='0': Input should be greater than or equal to 1" in lines
    assert any(line.startswith("  TU_EXAMPLE_STORE_URI='ftp://x': String should match")
               for line in lines)


def test_a_credential_inside_a_uri_value_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    message = _error(monkeypatch, TU_EXAMPLE_STORE_URI="postgresql://ops:hunter2-pw@db/mlflow")
    assert "TU_EXAMPLE_STORE_URI='postgresql://***@db/mlflow'" in message
    assert "hunter2-pw" not in message


def test_a_secret_field_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    message = _error(monkeypatch, TU_EXAMPLE_TOKEN="short-secret")
    assert "  TU_EXAMPLE_TOKEN: String should have at least 20 characters" in message.splitlines()
    assert "short-secret" not in message


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TU_EXAMPLE_PORT", "")
    assert ExampleSettings.load().port == 8080


@pytest.mark.parametrize(("command", "variable", "value"), [
    ([str(BIN / "registry-tools"), "status"], "TU_GATE_MIN_ROC_AUC", "2"),
    ([str(BIN / "local-stack"), "status"], "STACK_MLFLOW_PORT", "0"),
    ([sys.executable, "deploy/cloudbuild.py", "--dry-run", "--git-sha", "abc", "--branch",
      "main"], "CLOUD_RUN_REGION", "Mars"),
])
def test_a_bad_variable_exits_2_with_its_line_on_stderr(tmp_path: Path, command: list[str],
                                                       variable: str, value: str) -> None:
    env = {**os.environ, variable: value,
           "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"}
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 2, result.stderr
    assert f"{variable}={value!r}:" in result.stderr
    assert "Traceback" not in result.stderr


def _product_modules() -> list[str]:
    """Every product module that defines a class (dotted names), from the source tree."""
    modules = []
    for package in PRODUCT_PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if any(isinstance(node, ast.ClassDef) for node in ast.walk(tree)):
                modules.append(".".join(path.relative_to(REPO).with_suffix("").parts))
    return modules


def _all_subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    return found.union(*(_all_subclasses(sub) for sub in found))


def test_every_settings_class_of_the_product_derives_from_the_root() -> None:
    imported = [module for module in _product_modules() if "settings" in
                (REPO / Path(*module.split("."))).with_suffix(".py").read_text(
                    encoding="utf-8").lower()]
    for module in imported:
        importlib.import_module(module)
    product = [cls for cls in _all_subclasses(BaseSettings)
               if cls.__module__.split(".")[0] in PRODUCT_PACKAGES]
    assert {cls.__name__ for cls in product} >= {
        "PlatformSettings", "ModelSettings", "ProjectSettings", "ServingSettings",
        "MonitorSettings", "AbSettings", "CloudRunSettings", "StackSettings", "BatchJobSettings"}
    assert [cls for cls in product if not issubclass(cls, PlatformSettings)] == []
