"""`make deploy-batch` (deploy/cloudrun/batch_job.py): the dry run prints every command and the job
definition it would apply, runs nothing, and refuses bad settings; a real deploy (fake gcloud)
applies the job with the digest the pushed commit tag points at, never a tag; the image pins
match the lock."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from tests.mlflow_project.batch.conftest import PYTHON, REPO

IMAGE = "asia-south1-docker.pkg.dev/ml-model-480910/ticket-urgency-repo/ticket-urgency-batch"
SHA = "0123456789abcdef0123456789abcdef01234567"
DIGEST = "sha256:" + "c" * 64
PENDING = f"{IMAGE}@sha256:<the digest the second command prints>"


def _deploy(*args: str, commit: str | None = SHA, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("BATCH_", "CLOUD_RUN_", "MLFLOW_TRACKING_URI"))}
    # PATH without gcloud (or git): a dry run must not need it, and nothing can be run by mistake.
    clean["PATH"] = "/nonexistent"
    commit_args = ["--git-sha", commit] if commit else []
    return subprocess.run([PYTHON, "-m", "deploy.cloudrun.batch_job", *commit_args, *args],
                          cwd=REPO, env={**clean, **env}, capture_output=True, text=True,
                          timeout=60, check=False)


def _job_and_commands(stdout: str) -> tuple[dict[str, object], list[str]]:
    definition, _, commands = stdout.partition("# commands, in order:\n")
    return yaml.safe_load(definition), commands.strip().splitlines()


def _stat(path: Path) -> tuple[bool, float]:
    return (path.exists(), path.stat().st_mtime if path.exists() else 0.0)


def test_dry_run_prints_the_build_and_apply_commands_with_the_documented_defaults() -> None:
    rendered = REPO / "build" / "deploy-batch" / "job.yaml"
    before = _stat(rendered)
    result = _deploy("--dry-run", MLFLOW_TRACKING_URI="https://mlflow.example.org")
    assert _stat(rendered) == before  # a dry run writes nothing
    assert result.returncode == 0, result.stderr
    job, commands = _job_and_commands(result.stdout)
    assert commands == [
        "gcloud builds submit --project=ml-model-480910 --region=asia-south1 "
        "--config=deploy/batch/cloudbuild.yaml --ignore-file=deploy/gcloudignore "
        f"--substitutions=_IMAGE={IMAGE}:{SHA} .",
        f"gcloud artifacts docker images describe {IMAGE}:{SHA} "
        "'--format=value(image_summary.digest)'",
        "gcloud run jobs replace build/deploy-batch/job.yaml --project=ml-model-480910 "
        "--region=asia-south1",
        "# then run the job with: gcloud run jobs execute ticket-urgency-batch "
        "--project=ml-model-480910 --region=asia-south1 --wait",
    ]
    task = job["spec"]["template"]["spec"]["template"]["spec"]  # type: ignore[index]
    container = task["containers"][0]
    assert job["metadata"]["name"] == "ticket-urgency-batch"  # type: ignore[index]
    assert container["image"] == PENDING  # the digest, once the second command prints it
    assert container["args"] == [
        "--input=gs://ml-model-bucket-22/batch/input/tickets.parquet",
        "--output=gs://ml-model-bucket-22/batch/output/predictions.parquet",
        "--model-uri=models:/ticket_urgency@production", "--chunk-size=50000",
        "--max-reject-share=0.05", "--no-progress"]
    assert container["env"] == [{"name": "MLFLOW_TRACKING_URI",
                                 "value": "https://mlflow.example.org"}]
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "2Gi"}
    assert (task["timeoutSeconds"], task["maxRetries"]) == (3600, 1)
    assert task["serviceAccountName"] == (
        "ticket-urgency-batch@ml-model-480910.iam.gserviceaccount.com")


def test_settings_come_from_the_environment() -> None:
    result = _deploy("--dry-run", MLFLOW_TRACKING_URI="https://mlflow.example.org",
                     CLOUD_RUN_PROJECT="other-project-1", CLOUD_RUN_REGION="europe-west1",
                     BATCH_JOB="nightly-scoring",
                     BATCH_INPUT="gs://b/in/t.csv", BATCH_MEMORY="4Gi", BATCH_MAX_RETRIES="0")
    assert result.returncode == 0, result.stderr
    job, commands = _job_and_commands(result.stdout)
    container = job["spec"]["template"]["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    assert container["image"] == ("europe-west1-docker.pkg.dev/other-project-1/"
                                  "ticket-urgency-repo/nightly-scoring@sha256:<the digest the "
                                  "second command prints>")
    assert "--input=gs://b/in/t.csv" in container["args"]
    assert container["resources"]["limits"]["memory"] == "4Gi"
    assert job["spec"]["template"]["spec"]["template"]["spec"]["maxRetries"] == 0  # type: ignore[index]
    assert "--region=europe-west1" in commands[2]


def test_a_bad_setting_is_refused_naming_the_variable() -> None:
    result = _deploy("--dry-run", BATCH_MEMORY="lots", BATCH_INPUT="/local/file.csv")
    assert result.returncode == 2
    assert "BATCH_MEMORY='lots'" in result.stderr
    assert "BATCH_INPUT='/local/file.csv'" in result.stderr
    assert result.stdout == ""


def test_a_real_deploy_needs_a_tracking_server_and_runs_nothing_without_one() -> None:
    result = _deploy(MLFLOW_TRACKING_URI="sqlite:///local.db")
    assert result.returncode == 2
    assert "MLFLOW_TRACKING_URI must be the tracking server's http(s) URL" in result.stderr
    assert "+ gcloud" not in result.stdout
    dry = _deploy("--dry-run")
    assert dry.returncode == 0
    assert "a real deploy refuses it" in dry.stderr


def test_image_requirements_are_pinned_to_the_lock() -> None:
    lock = {line.split("==")[0].lower(): line.strip()
            for line in (REPO / "requirements.lock").read_text().splitlines()
            if "==" in line and not line.startswith("#")}
    pins = [line.strip() for line in
            (REPO / "deploy" / "batch" / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    assert {"mlflow-skinny", "pyarrow", "google-cloud-storage", "scikit-learn"} <= {
        pin.split("==")[0] for pin in pins}
    for pin in pins:
        assert lock.get(pin.split("==")[0].lower()) == pin, pin


def test_the_image_build_context_holds_the_package_and_its_requirements_only() -> None:
    ignore = (REPO / "deploy" / "batch" / "Dockerfile.dockerignore").read_text().splitlines()
    rules = [line for line in ignore if line and not line.startswith("#")]
    assert rules[0] == "*"
    assert {"!mlflow_project/", "!deploy/batch/requirements.txt"} <= set(rules)
    dockerfile = (REPO / "deploy" / "batch" / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["python", "-m", "mlflow_project.batch"]' in dockerfile
    build = yaml.safe_load((REPO / "deploy" / "batch" / "cloudbuild.yaml").read_text())
    assert build["steps"][0]["args"] == ["build", "--file=deploy/batch/Dockerfile",
                                         "--tag=${_IMAGE}", "."]
    assert build["images"] == ["${_IMAGE}"]


FAKE_GCLOUD = """#!/bin/sh
printf '%s\\n' "$*" >> "$FAKE_CALLS"
if [ "$1 $2 $3 $4" = "artifacts docker images describe" ]; then printf '%s\\n' "$FAKE_DIGEST"; fi
if [ "$1 $2 $3" = "run jobs replace" ]; then cp "$4" "$FAKE_APPLIED"; fi
"""


def _real_deploy(tmp_path: Path, digest: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """A real deploy with a fake gcloud first on PATH; returns its result and the call log."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gcloud").write_text(FAKE_GCLOUD)
    (bin_dir / "gcloud").chmod(0o755)
    calls = tmp_path / "calls"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BATCH_", "CLOUD_RUN_", "MLFLOW_TRACKING_URI"))}
    env.update(PATH=f"{bin_dir}:/usr/bin:/bin", FAKE_CALLS=str(calls), FAKE_DIGEST=digest,
               FAKE_APPLIED=str(tmp_path / "applied.yaml"),
               MLFLOW_TRACKING_URI="https://mlflow.example.org")
    result = subprocess.run([PYTHON, "-m", "deploy.cloudrun.batch_job", "--git-sha", SHA],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
                            check=False)
    return result, calls


def test_a_real_deploy_applies_the_job_with_the_digest_the_pushed_tag_points_at(
        tmp_path: Path) -> None:
    result, calls = _real_deploy(tmp_path, DIGEST)
    assert result.returncode == 0, result.stderr
    assert [line.split()[:3] for line in calls.read_text().splitlines()] == [
        ["builds", "submit", "--project=ml-model-480910"],
        ["artifacts", "docker", "images"],
        ["run", "jobs", "replace"]]
    applied = yaml.safe_load((tmp_path / "applied.yaml").read_text())
    container = applied["spec"]["template"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == f"{IMAGE}@{DIGEST}"


def test_a_registry_answer_that_is_no_digest_applies_nothing(tmp_path: Path) -> None:
    result, calls = _real_deploy(tmp_path, "latest")
    assert result.returncode == 1
    assert f"the digest of {IMAGE} '{IMAGE}@latest' is not a digest reference" in result.stderr
    assert not any(line.startswith("run jobs replace") for line in calls.read_text().splitlines())
    assert not (tmp_path / "applied.yaml").exists()


def test_the_commit_is_required_when_git_cannot_tell_it() -> None:
    result = _deploy("--dry-run", commit=None, MLFLOW_TRACKING_URI="https://mlflow.example.org")
    assert result.returncode == 2
    assert "cannot read the checkout's commit with git" in result.stderr
    assert "pass --git-sha" in result.stderr
    tag = _deploy("--dry-run", commit="latest", MLFLOW_TRACKING_URI="https://mlflow.example.org")
    assert tag.returncode == 2
    assert "commit 'latest' is not a git commit id" in tag.stderr
