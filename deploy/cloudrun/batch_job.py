"""`make deploy-batch`: build the batch image and apply the Cloud Run Job, or print what that runs.

    python -m deploy.cloudrun.batch_job [--dry-run] [--git-sha SHA]

Three commands: `gcloud builds submit` (deploy/batch/cloudbuild.yaml builds the image and pushes
it tagged with the commit), `gcloud artifacts docker images describe` (the digest that tag now
points at), and `gcloud run jobs replace` with deploy/batch/job.yaml rendered, image by that
digest, to build/deploy-batch/job.yaml. The job never names a tag: a later push of the same tag
cannot change what it runs. `--dry-run` prints the job definition (its image digest left as what
the second command will print) and the three commands, and runs nothing. The commit defaults to
the checkout's (`git rev-parse HEAD`).

Settings (environment variables; the project, region and repository are the serving deploy's):

| variable | default | meaning |
|---|---|---|
| `CLOUD_RUN_PROJECT` | `ml-model-480910` | Google Cloud project |
| `CLOUD_RUN_REGION` | `asia-south1` | region of the job and of the Artifact Registry repository |
| `CLOUD_RUN_REPOSITORY` | `ticket-urgency-repo` | Artifact Registry repository of the image |
| `CLOUD_RUN_BUCKET` | `ml-model-bucket-22` | bucket of the default input and output |
| `BATCH_JOB` | `ticket-urgency-batch` | Cloud Run Job name, also the image name |
| `BATCH_INPUT` | `gs://BUCKET/batch/input/tickets.parquet` | tickets to score |
| `BATCH_OUTPUT` | `gs://BUCKET/batch/output/predictions.parquet` | predictions (+ rejects) |
| `BATCH_MODEL_URI` | `models:/<TU_MODEL_NAME>@production` | resolved to a version at each run |
| `BATCH_CHUNK_SIZE` | `50000` | rows per chunk |
| `BATCH_MAX_REJECT_SHARE` | `0.05` | refuse a batch with more broken rows |
| `BATCH_CPU` / `BATCH_MEMORY` | `1` / `2Gi` | task resources (the job is single-threaded) |
| `BATCH_TASK_TIMEOUT` | `3600` | seconds one task may run |
| `BATCH_MAX_RETRIES` | `1` | retries of a failed task |
| `BATCH_SERVICE_ACCOUNT` | `JOB@PROJECT.iam.gserviceaccount.com` | the job's identity |
| `MLFLOW_TRACKING_URI` | (required for a real deploy) | the tracking server, `http(s)://...` |
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from contracts.model_uri import default_model_uri
from contracts.settings import PlatformSettings
from deploy.cloudrun.checkout import checkout_commit
from deploy.cloudrun.images import ImageError, by_digest, commit_tag, digest_command
from deploy.cloudrun.settings import CloudRunSettings
from deploy.cloudrun.templates import UnknownPlaceholder, render

REPO = Path(__file__).resolve().parents[2]
JOB_TEMPLATE = REPO / "deploy" / "batch" / "job.yaml"
BUILD_CONFIG = "deploy/batch/cloudbuild.yaml"
IGNORE_FILE = "deploy/gcloudignore"
RENDERED = "build/deploy-batch/job.yaml"
EXIT_REFUSED = 2
PENDING_DIGEST = "sha256:<the digest the second command prints>"


class DeployError(ValueError):
    """The deploy cannot go ahead as configured; the message says why."""


class BatchJobSettings(PlatformSettings):
    """The batch job's own settings (`BATCH_*`); see the module docstring for each."""

    model_config = SettingsConfigDict(env_prefix="BATCH_")

    settings_title: ClassVar[str] = "batch job settings"

    job: str = Field(default="ticket-urgency-batch", pattern=r"^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$")
    input: str | None = Field(default=None, pattern=r"^gs://[^/]+/.+\.(csv|parquet)$")
    output: str | None = Field(default=None, pattern=r"^gs://[^/]+/.+\.(csv|parquet)$")
    model_uri: str = Field(default_factory=default_model_uri, min_length=1)
    chunk_size: int = Field(default=50_000, ge=1)
    max_reject_share: float = Field(default=0.05, ge=0.0, le=1.0)
    cpu: str = Field(default="1", pattern=r"^[0-9]+(m)?$")
    memory: str = Field(default="2Gi", pattern=r"^[0-9]+(Mi|Gi)$")
    task_timeout: int = Field(default=3600, ge=1, le=604_800)
    max_retries: int = Field(default=1, ge=0, le=10)
    service_account: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")


def repository(cloud: CloudRunSettings, batch: BatchJobSettings) -> str:
    """The batch image's path in Artifact Registry (no tag, no digest)."""
    return f"{cloud.region}-docker.pkg.dev/{cloud.project}/{cloud.repository}/{batch.job}"


def template_values(cloud: CloudRunSettings, batch: BatchJobSettings, tracking_uri: str,
                    image: str) -> dict[str, str | int]:
    """Every `${NAME}` of job.yaml, with this deploy's value (`image`: a digest reference)."""
    bucket = f"gs://{cloud.bucket}/batch"
    return {
        "JOB": batch.job, "REGION": cloud.region, "IMAGE": image,
        "SERVICE_ACCOUNT": (batch.service_account
                            or f"{batch.job}@{cloud.project}.iam.gserviceaccount.com"),
        "TASK_TIMEOUT": batch.task_timeout, "MAX_RETRIES": batch.max_retries,
        "INPUT": batch.input or f"{bucket}/input/tickets.parquet",
        "OUTPUT": batch.output or f"{bucket}/output/predictions.parquet",
        "MODEL_URI": batch.model_uri, "CHUNK_SIZE": batch.chunk_size,
        "MAX_REJECT_SHARE": str(batch.max_reject_share),
        "MLFLOW_TRACKING_URI": tracking_uri, "CPU": batch.cpu, "MEMORY": batch.memory,
    }


def job_definition(cloud: CloudRunSettings, batch: BatchJobSettings, tracking_uri: str,
                   image: str) -> dict[str, Any]:
    """deploy/batch/job.yaml rendered with this deploy's settings and `image`."""
    values = template_values(cloud, batch, tracking_uri, image)
    try:
        rendered: dict[str, Any] = render(
            yaml.safe_load(JOB_TEMPLATE.read_text(encoding="utf-8")), values)
    except UnknownPlaceholder as exc:
        raise DeployError(f"{JOB_TEMPLATE.name}: {exc}, the settings") from None
    return rendered


@dataclass(frozen=True)
class Plan:
    """What a deploy runs: build and push, read the pushed tag's digest, apply the job."""

    repository: str
    build: list[str]
    digest: list[str]
    apply: list[str]
    execute_hint: list[str]


def plan(cloud: CloudRunSettings, batch: BatchJobSettings, commit: str) -> Plan:
    """The three commands of a deploy of the image built from `commit`."""
    image, tag = repository(cloud, batch), commit_tag(commit)
    where = [f"--project={cloud.project}", f"--region={cloud.region}"]
    return Plan(
        repository=image,
        build=["gcloud", "builds", "submit", *where, f"--config={BUILD_CONFIG}",
               f"--ignore-file={IGNORE_FILE}", f"--substitutions=_IMAGE={image}:{tag}", "."],
        digest=digest_command(image, tag),
        apply=["gcloud", "run", "jobs", "replace", RENDERED, *where],
        execute_hint=["gcloud", "run", "jobs", "execute", batch.job, *where, "--wait"],
    )


def describe(deploy: Plan, job: dict[str, Any]) -> str:
    """The dry run's text: the job definition as applied, then every command."""
    return "\n".join([
        f"# {RENDERED} (deploy/batch/job.yaml rendered), applied by the third command; its "
        "image is the digest the second command prints:",
        yaml.safe_dump(job, sort_keys=False).rstrip(),
        "# commands, in order:",
        *(shlex.join(command) for command in (deploy.build, deploy.digest, deploy.apply)),
        f"# then run the job with: {shlex.join(deploy.execute_hint)}",
    ])


def deploy_job(deploy: Plan, job_for: Callable[[str], dict[str, Any]]) -> int:
    """Build and push, read the digest, write the job with that image and apply it. Returns
    the exit code of the first command that fails, else 0; raises `ImageError` when the
    registry answers with something that is not a digest (nothing is applied then)."""
    built = _run(deploy.build)
    if built.returncode:
        return built.returncode
    digest = _run(deploy.digest, capture=True)
    if digest.returncode:
        return digest.returncode
    job = job_for(by_digest(deploy.repository, digest.stdout))
    rendered = REPO / RENDERED
    rendered.parent.mkdir(parents=True, exist_ok=True)
    rendered.write_text(yaml.safe_dump(job, sort_keys=False), encoding="utf-8")
    return _run(deploy.apply).returncode


def _run(command: list[str], *, capture: bool = False) -> subprocess.CompletedProcess[str]:
    print("+ " + shlex.join(command), flush=True)
    return subprocess.run(command, cwd=REPO, check=False, text=True,
                          stdout=subprocess.PIPE if capture else None)


def main(argv: Sequence[str] | None = None) -> int:
    """Deploy (or print the deploy); exit 2 with a message when it cannot go ahead."""
    parser = argparse.ArgumentParser(prog="python -m deploy.cloudrun.batch_job",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", help="print, run nothing")
    parser.add_argument("--git-sha", help="commit the image is built from and tagged with "
                                          "(default: git rev-parse HEAD)")
    args = parser.parse_args(argv)
    tracking_uri = os.environ.get("MLFLOW_TRACKING_URI", "")
    remote = tracking_uri.startswith(("http://", "https://"))
    try:
        cloud, batch = CloudRunSettings.load(), BatchJobSettings.load()
        deploy = plan(cloud, batch, args.git_sha or checkout_commit())

        def job_for(image: str) -> dict[str, Any]:
            return job_definition(cloud, batch, tracking_uri, image)

        pending = job_for(f"{deploy.repository}@{PENDING_DIGEST}")  # a bad template fails here
        if args.dry_run:
            if not remote:
                print(f"warning: MLFLOW_TRACKING_URI={tracking_uri!r} is not a tracking server "
                      "the job can reach; a real deploy refuses it", file=sys.stderr)
            print(describe(deploy, pending))
            return 0
        if not remote:
            raise DeployError("MLFLOW_TRACKING_URI must be the tracking server's http(s) URL "
                              f"(got {tracking_uri!r}): a Cloud Run Job cannot read a local store")
        if shutil.which("gcloud") is None:
            raise DeployError("gcloud is not installed (https://cloud.google.com/sdk)")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    try:
        code = deploy_job(deploy, job_for)
    except ImageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if code == 0:
        print(f"deployed; run it with: {shlex.join(deploy.execute_hint)}")
    return code


if __name__ == "__main__":
    sys.exit(main())
