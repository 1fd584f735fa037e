"""cloudbuild.yaml's own steps, run by bash as Cloud Build runs them (substitutions applied by the
same code as the dry run), with fake `docker` and `gcloud` programs first on PATH and /workspace
moved to a temporary folder: the layer cache, the digest the push reads, and the deployment
record that `registry-tools ab` later reads back (through the GCS emulator)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from deploy import cloudbuild as cloud_build
from deploy.cloudrun import deployments
from deploy.cloudrun.settings import CloudRunSettings
from tests.deploy.conftest import DeploymentRecords

SHA = "0123456789abcdef0123456789abcdef01234567"
BUILD_ID = "4fd2a3c1-0000-4000-8000-000000000001"
IMAGE = "asia-south1-docker.pkg.dev/ml-model-480910/ticket-urgency-repo/ticket-urgency-api"
PREVIOUS = f"{IMAGE}@sha256:{'a' * 64}"
PUSHED = f"{IMAGE}@sha256:{'b' * 64}"

FAKE_DOCKER = """#!/bin/sh
printf '%s\\n' "docker $*" >> "$FAKE_CALLS"
if [ "$1" = inspect ]; then printf '%s\\n' "$FAKE_REPO_DIGEST"; fi
"""
FAKE_GCLOUD = """#!/bin/sh
printf '%s\\n' "gcloud $*" >> "$FAKE_CALLS"
case "$1 $2" in
  "artifacts docker") [ -n "$FAKE_LIST" ] || exit 1; printf '%s\\n' "$FAKE_LIST";;
  "storage cp") cp "$3" "$FAKE_UPLOADED";;
  *) exit 3;;
esac
"""


class Build:
    """A workspace, fake tools and the environment the steps of one build run with."""

    def __init__(self, root: Path) -> None:
        self.workspace = root / "workspace"
        self.workspace.mkdir()
        self.calls = root / "calls"
        self.uploaded = root / "uploaded.json"
        bin_dir = root / "bin"
        bin_dir.mkdir()
        for name, script in (("docker", FAKE_DOCKER), ("gcloud", FAKE_GCLOUD)):
            (bin_dir / name).write_text(script)
            (bin_dir / name).chmod(0o755)
        self.config = cloud_build.load_config()
        self.values = {**cloud_build.defaults(self.config), "_GIT_SHA": SHA, "_BRANCH": "main",
                       "_MLFLOW_TRACKING_URI": "https://mlflow.example.com"}
        step_env = [cloud_build.substitute(item, self.values).replace("${BUILD_ID}", BUILD_ID)
                    for item in self.config["options"]["env"]]
        self.env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "FAKE_CALLS": str(self.calls),
                    "FAKE_UPLOADED": str(self.uploaded),
                    **dict(item.split("=", 1) for item in step_env)}

    def run(self, step_id: str, **fake: str) -> subprocess.CompletedProcess[str]:
        """Run one step's script; `fake` sets FAKE_* variables (FAKE_LIST, FAKE_REPO_DIGEST)."""
        step = next(s for s in self.config["steps"] if s["id"] == step_id)
        script = cloud_build.substitute(step["args"][-1], self.values)
        script = script.replace("${BUILD_ID}", BUILD_ID).replace("/workspace",
                                                                  str(self.workspace))
        env = {**self.env, **dict(item.split("=", 1) for item in step.get("env", [])),
               **{f"FAKE_{key.upper()}": value for key, value in fake.items()}}
        return subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True,
                              timeout=30, check=False)

    def calls_of(self, tool: str) -> list[str]:
        lines = self.calls.read_text().splitlines() if self.calls.exists() else []
        return [line for line in lines if line.startswith(f"{tool} ")]


@pytest.fixture
def build(tmp_path: Path) -> Build:
    made = Build(tmp_path)
    (made.workspace / "model_version").write_text("7\n")
    return made


def test_the_build_reuses_the_layers_of_the_newest_image_named_by_digest(build: Build) -> None:
    source = build.run("cache-source", list=PREVIOUS)
    assert source.returncode == 0, source.stderr
    assert build.calls_of("gcloud") == [
        f"gcloud artifacts docker images list {IMAGE} --project=ml-model-480910 "
        "--sort-by=~UPDATE_TIME --limit=1 --format=value[separator=\"@\"](package,version)"]
    built = build.run("build")
    assert built.returncode == 0, built.stderr
    assert build.calls_of("docker") == [
        "docker build -f serving/Dockerfile --build-arg MODEL_VERSION=7 --build-arg "
        f"BUILDKIT_INLINE_CACHE=1 --cache-from={PREVIOUS} -t {IMAGE}:{SHA} ."]


def test_without_a_previous_image_the_build_runs_without_a_cache(build: Build) -> None:
    source = build.run("cache-source")  # the listing fails (or finds nothing)
    assert source.returncode == 0, source.stderr
    assert (build.workspace / "cache_from").read_text() == ""
    built = build.run("build")
    assert built.returncode == 0, built.stderr
    assert build.calls_of("docker") == [
        "docker build -f serving/Dockerfile --build-arg MODEL_VERSION=7 --build-arg "
        f"BUILDKIT_INLINE_CACHE=1 -t {IMAGE}:{SHA} ."]


def test_the_push_keeps_the_digest_the_registry_returned(build: Build) -> None:
    pushed = build.run("push", repo_digest=PUSHED)
    assert pushed.returncode == 0, pushed.stderr
    assert build.calls_of("docker") == [f"docker push {IMAGE}:{SHA}",
                                        "docker inspect --format {{index .RepoDigests 0}} "
                                        f"{IMAGE}:{SHA}"]
    assert (build.workspace / "image_ref").read_text().strip() == PUSHED


@pytest.mark.parametrize("answer", ["", f"{IMAGE}:{SHA}", f"{IMAGE}@sha256:{'b' * 12}",
                                    f"gcr.io/elsewhere/app@sha256:{'b' * 64}"])
def test_a_push_without_a_digest_of_this_image_stops_the_build(build: Build, answer: str) -> None:
    pushed = build.run("push", repo_digest=answer)
    assert pushed.returncode == 1
    assert f"the push returned no digest of {IMAGE}" in pushed.stderr


def test_the_record_names_the_version_and_digest_that_ab_reads_back(
        build: Build, deployment_records: DeploymentRecords) -> None:
    revision = f"ticket-urgency-api-v7-{SHA[:7]}-{BUILD_ID[:8]}"
    (build.workspace / "revision").write_text(revision + "\n")
    (build.workspace / "image_ref").write_text(PUSHED + "\n")
    recorded = build.run("record")
    assert recorded.returncode == 0, recorded.stderr
    destination = f"gs://ml-model-bucket-22/deployments/ticket-urgency-api/{revision}.json"
    assert build.calls_of("gcloud") == [
        f"gcloud storage cp {build.workspace}/deployment.json {destination}"]
    document = json.loads(build.uploaded.read_text())
    assert (document["model_version"], document["image"], document["revision"],
            document["git_sha"]) == ("7", PUSHED, revision, SHA)
    assert deployment_records.put(revision, build.uploaded.read_text()) == destination
    assert deployments.image_for_version(CloudRunSettings(), "7") == PUSHED
