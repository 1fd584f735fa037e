"""`make deploy`: cloudbuild.yaml, and the script that submits it or prints what it would run.

The script and cloudbuild.yaml must not drift: the substitutions' defaults are the roadmap's and
the Cloud Run settings', every substitution a step uses is declared (Cloud Build would refuse an
undeclared one), and the dry run prints the steps from the file itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from deploy import cloudbuild as cloud_build
from deploy.cloudrun.naming import version_of
from deploy.cloudrun.settings import CloudRunSettings
from tests.deploy.conftest import REPO

SHA = "0123456789abcdef0123456789abcdef01234567"
ROADMAP = {"_PROJECT": "ml-model-480910", "_REGION": "asia-south1",
           "_REPOSITORY": "ticket-urgency-repo", "_SERVICE": "ticket-urgency-api",
           "_BUCKET": "ml-model-bucket-22"}




def deploy(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the script as `make deploy` does, with a fixed commit and branch."""
    base = {key: value for key, value in os.environ.items() if not key.startswith("CLOUD_RUN_")}
    return subprocess.run(
        [sys.executable, "-m", "deploy.cloudbuild", "--git-sha", SHA,
         "--branch", "feature/ab-rollout", *args],
        cwd=REPO, env={**base, "MLFLOW_TRACKING_URI": "https://mlflow.example.com",
                       **(env or {})}, capture_output=True, text=True, timeout=60, check=False)


def test_substitution_defaults_are_the_roadmaps_and_the_cloud_run_settings() -> None:
    declared = cloud_build.defaults(cloud_build.load_config())
    assert {key: declared[key] for key in ROADMAP} == ROADMAP
    fields = CloudRunSettings.model_fields  # the defaults, whatever this shell's environment
    assert {key: fields[field].default
            for key, field in cloud_build.SETTINGS_SUBSTITUTIONS.items()} == ROADMAP


def test_every_substitution_is_declared_and_every_declared_one_is_used() -> None:
    config = cloud_build.load_config()
    declared = cloud_build.defaults(config)
    text = (REPO / "cloudbuild.yaml").read_text()
    body = text[text.index("options:"):]
    used = set(re.findall(r"\$\{?(_[A-Z_]+)", body.replace("$$", "")))
    assert used == set(declared)
    cloud_build.rendered_steps(config, declared)  # raises on an undeclared name


def test_an_undeclared_substitution_or_stray_dollar_is_refused_as_cloud_build_would() -> None:
    assert cloud_build.substitute("a $$b ${_X} $_X $BUILD_ID", {"_X": "1"}) == \
        "a $b 1 1 ${BUILD_ID}"
    with pytest.raises(cloud_build.DeployError, match=r"\$_NOPE"):
        cloud_build.substitute("${_NOPE}", {})
    with pytest.raises(cloud_build.DeployError, match=r"write \$\$ for a shell \$"):
        cloud_build.substitute("$version", {})


def test_dry_run_prints_the_submit_command_with_every_substitution() -> None:
    result = deploy("--dry-run", "--model-alias", "challenger", "--traffic", "20")
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first == (
        "gcloud builds submit --project=ml-model-480910 --region=asia-south1 "
        "--config=cloudbuild.yaml --ignore-file=deploy/gcloudignore "
        "--substitutions=_PROJECT=ml-model-480910,_REGION=asia-south1,"
        "_REPOSITORY=ticket-urgency-repo,_SERVICE=ticket-urgency-api,_BUCKET=ml-model-bucket-22,"
        "_MLFLOW_TRACKING_URI=https://mlflow.example.com,"
        "_MODEL_URI=models:/ticket_urgency@challenger,_TRAFFIC=20,"
        f"_GIT_SHA={SHA},_BRANCH=feature-ab-rollout,_TEST_ARGS=,_API_KEYS_SECRET=,"
        "_RUNTIME_SERVICE_ACCOUNT=,"
        "_BUILD_SERVICE_ACCOUNT=ticket-urgency-build@ml-model-480910.iam.gserviceaccount.com .")


def test_dry_run_prints_each_step_as_cloud_build_runs_it() -> None:
    out = deploy("--dry-run").stdout
    image = "asia-south1-docker.pkg.dev/ml-model-480910/ticket-urgency-repo/ticket-urgency-api"
    assert f"export IMAGE={image}" in out
    for expected in [
        "make lint test",
        "python -m serving.bake_model --model-uri 'models:/ticket_urgency@production'",
        "--build-arg MODEL_VERSION=${version}",
        '--build-arg BUILDKIT_INLINE_CACHE=1 "${cache[@]}" -t ${IMAGE}:${GIT_SHA} .',
        "export DOCKER_BUILDKIT=1",
        "gcloud artifacts docker images list \"${IMAGE}\" --project=ml-model-480910",
        "docker push ${IMAGE}:${GIT_SHA}",
        "tag=challenger",
        'if [ "all" = all ]; then tag=candidate; fi',
        "flags+=(--no-traffic --tag=${tag})",
        "gcloud run deploy ticket-urgency-api --project=ml-model-480910 --region=asia-south1",
        '--image="$(cat /workspace/image_ref)"',
        '--revision-suffix="v${version}-${GIT_SHA:0:7}-${BUILD_ID:0:8}"',
        "--startup-probe=httpGet.path=/ready",
        "ROLLOUT_API_KEY_SECRET='' .venv/bin/python -m deploy.rollout",
        '--target cloudrun --version "$(cat /workspace/model_version)"',
        '--revision "${revision}";;',
        'case "all" in all|none) exit 0;; esac',
        "--target cloudrun --percent all",  # ab start, not reached for all
        '"gs://ml-model-bucket-22/deployments/ticket-urgency-api/${revision}.json"',
    ]:
        assert expected in out, expected
    steps = re.findall(r"^# step \d+/\d+ (\S+)", out, re.MULTILINE)
    assert steps == ["test", "bake", "cache-source", "build", "push", "deploy", "rollout",
                     "ab-start", "record"]


def test_dry_run_then_prints_the_rollout_plan_with_its_watch_and_rollback() -> None:
    out = deploy("--dry-run").stdout
    plan = out[out.index("# rollout plan of step rollout"):]
    service = "gcloud run services update-traffic ticket-urgency-api --project=ml-model-480910 " \
              "--region=asia-south1"
    ordered = [
        "tag candidate: PREVIOUS 100% [production], CANDIDATE (vN) 0% [candidate]",
        "smoke test of https://candidate---ticket-urgency-api-<hash>.a.run.app",
        "GET https://candidate---ticket-urgency-api-<hash>.a.run.app/ready -H 'Authorization: "
        "Bearer <ID token for https://candidate---ticket-urgency-api-<hash>.a.run.app>' -> 200",
        "model_version N",
        "/predict -H", "(one ticket) -> 200 with urgency_probability",
        f"{service} --to-revisions=PREVIOUS=90,CANDIDATE=10 "
        "--set-tags=production=PREVIOUS,candidate=CANDIDATE",
        'watch 300 s: ListTimeSeries projects/ml-model-480910 filter=\'metric.type = '
        '"run.googleapis.com/request_count"',
        "REDUCE_PERCENTILE_99",
        "--to-revisions=PREVIOUS=50,CANDIDATE=50",
        "--to-revisions=CANDIDATE=100 --set-tags=production=CANDIDATE",
        "on a breach, the rollback:",
        f"{service} --to-revisions=PREVIOUS=100 --set-tags=production=PREVIOUS",
    ]
    position = 0
    for line in ordered:  # each after the one before
        position = plan.index(line, position) + len(line)


def test_an_ab_deploy_prints_no_rollout_plan() -> None:
    out = deploy("--dry-run", "--model-alias", "challenger", "--traffic", "20").stdout
    assert "# rollout plan" not in out


def test_a_rebuild_of_the_same_commit_names_a_new_revision_read_back_as_the_version() -> None:
    out = deploy("--dry-run").stdout
    suffix = re.search(r'--revision-suffix="([^"]+)"', out)
    assert suffix is not None
    names = set()
    for build_id in ("4fd2a3c1-0000-4000-8000-000000000001",
                     "9b07e5d2-0000-4000-8000-000000000002"):
        named = subprocess.run(["bash", "-c", f'echo "ticket-urgency-api-{suffix.group(1)}"'],
                               env={"version": "7", "GIT_SHA": SHA, "BUILD_ID": build_id},
                               capture_output=True, text=True, check=True).stdout.strip()
        assert version_of("ticket-urgency-api", named) == "7"
        names.add(named)
    assert names == {f"ticket-urgency-api-v7-{SHA[:7]}-4fd2a3c1",
                     f"ticket-urgency-api-v7-{SHA[:7]}-9b07e5d2"}
    assert ('echo "ticket-urgency-api-v${version}-${GIT_SHA:0:7}-${BUILD_ID:0:8}" > '
            "/workspace/revision") in out  # the name the record and the rollout step use


def test_the_build_runs_as_its_own_service_account_and_records_its_image() -> None:
    config = cloud_build.load_config()
    assert config["serviceAccount"] == \
        "projects/${_PROJECT}/serviceAccounts/${_BUILD_SERVICE_ACCOUNT}"
    assert config["options"]["logging"] == "CLOUD_LOGGING_ONLY"  # required with such an account
    assert cloud_build.defaults(config)["_BUILD_SERVICE_ACCOUNT"] == \
        CloudRunSettings().build_account == \
        "ticket-urgency-build@ml-model-480910.iam.gserviceaccount.com"
    assert config["images"] == [
        "${_REGION}-docker.pkg.dev/${_PROJECT}/${_REPOSITORY}/${_SERVICE}:${_GIT_SHA}"]
    out = deploy("--dry-run", env={
        "CLOUD_RUN_BUILD_SERVICE_ACCOUNT": "builder-x@other.iam.gserviceaccount.com"}).stdout
    assert "_BUILD_SERVICE_ACCOUNT=builder-x@other.iam.gserviceaccount.com ." in out
    assert ("# runs as: projects/ml-model-480910/serviceAccounts/"
            "builder-x@other.iam.gserviceaccount.com") in out
    assert ("# records the image: asia-south1-docker.pkg.dev/ml-model-480910/"
            f"ticket-urgency-repo/ticket-urgency-api:{SHA}") in out


def test_the_image_is_tagged_with_the_commit_only_and_deployed_by_digest() -> None:
    out = deploy("--dry-run").stdout
    assert re.findall(r" -t (\S+)", out) == ["${IMAGE}:${GIT_SHA}"]
    assert re.findall(r"--image=(.*?) \\$", out, re.MULTILINE) == ['"$(cat /workspace/image_ref)"']
    assert "docker push --all-tags" not in out


def test_a_commit_that_is_no_commit_id_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "deploy.cloudbuild", "--git-sha", "latest", "--branch", "x",
         "--dry-run"], cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "MLFLOW_TRACKING_URI": "https://mlflow.example.com"})
    assert result.returncode == 2
    assert "commit 'latest' is not a git commit id" in result.stderr


def test_cloud_run_variables_flow_into_the_substitutions() -> None:
    out = deploy("--dry-run", env={"CLOUD_RUN_PROJECT": "other-project-1",
                                   "CLOUD_RUN_REGION": "europe-west1"}).stdout
    assert "--project=other-project-1 --region=europe-west1" in out.splitlines()[0]
    assert "_PROJECT=other-project-1," in out


def test_a_version_deploys_by_number() -> None:
    out = deploy("--dry-run", "--model-version", "7", "--traffic", "none").stdout
    assert "_MODEL_URI=models:/ticket_urgency/7" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--traffic", "150"], "traffic must be all, none or a percent 1-99"),
    (["--traffic", "0"], "traffic must be all, none or a percent 1-99"),
    (["--model-alias", "challenger"], "TRAFFIC=all deploys @production only"),
    (["--model-version", "3"], "TRAFFIC=all deploys @production only"),
    (["--traffic", "10"], "an A/B split needs a challenger"),
])
def test_deploys_that_would_break_production_or_an_ab_test_are_refused(
        args: list[str], message: str) -> None:
    result = deploy("--dry-run", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_a_real_deploy_refuses_a_local_tracking_store_before_running_gcloud(
        tmp_path: Path) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    called = tmp_path / "gcloud-called"
    (fake_bin / "gcloud").write_text(f"#!/bin/sh\ntouch {called}\n")
    (fake_bin / "gcloud").chmod(0o755)
    result = deploy(env={"MLFLOW_TRACKING_URI": "sqlite:////tmp/x.db",
                         "PATH": f"{fake_bin}:{os.environ['PATH']}"})
    assert result.returncode == 2
    assert "Cloud Build cannot read a local store" in result.stderr
    assert not called.exists()


def test_a_real_deploy_runs_exactly_the_printed_command(tmp_path: Path) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    record = tmp_path / "argv"
    (fake_bin / "gcloud").write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\n')
    (fake_bin / "gcloud").chmod(0o755)
    printed = deploy("--dry-run").stdout.splitlines()[0]
    result = deploy(env={"PATH": f"{fake_bin}:{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr
    assert ["gcloud", *record.read_text().splitlines()] == printed.split(" ")


def test_branch_names_become_safe_record_labels() -> None:
    assert cloud_build.branch_label("feature/AB rollout#2") == "feature-AB-rollout-2"
    with pytest.raises(cloud_build.DeployError):
        cloud_build.branch_label("///")


def test_the_makefile_target_prints_the_same_dry_run() -> None:
    makefile = (REPO / "Makefile").read_text()
    if not re.search(r"^deploy:", makefile, re.MULTILINE):
        pytest.skip("the Makefile has no deploy target yet (paste it from the deploy report)")
    venv = Path(sys.executable).parent.parent
    result = subprocess.run(  # -o install: this test must never (re)install the environment
        ["make", "-s", "-o", "install", "deploy", "DRY_RUN=1", f"VENV={venv}",
         f"GIT_SHA={SHA}", "BRANCH=feature/ab-rollout"], cwd=REPO, capture_output=True,
        text=True, timeout=120, check=False,
        env={**os.environ, "MLFLOW_TRACKING_URI": "https://mlflow.example.com"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == deploy("--dry-run").stdout
