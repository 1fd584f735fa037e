"""`make deploy-telemetry` (python -m deploy.cloudrun.telemetry) against a fake `gcloud` and `bq`
first on PATH (fake_gcloud.py): the first run creates everything, the second only reads, a changed
definition file is the only thing the third run updates; the dry run prints every command and
runs none; failures name the command and exit 1, bad settings exit 2 before anything runs."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.cloudrun.telemetry.definitions import DEFINITIONS
from tests.deploy.cloudrun import fake_gcloud
from tests.deploy.cloudrun.telemetry_support import READER, TARGET, TEST_ENV, rendered
from tests.deploy.conftest import REPO

READS = {"show", "describe", "list"}


def telemetry(folder: Path, *args: str, out: Path | None = None,
              **env: str) -> subprocess.CompletedProcess[str]:
    """Run the command as `make deploy-telemetry` does, with the fakes (their state and call log
    in `folder`) first on PATH; rendered definitions go to `out` (default `folder/out`)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUD_RUN_", "TELEMETRY_"))}
    return subprocess.run(
        [sys.executable, "-m", "deploy.cloudrun.telemetry", "--out", str(out or folder / "out"),
         *args],
        cwd=REPO, env={**base, **fake_gcloud.install(folder), **TEST_ENV, **env},
        capture_output=True, text=True, timeout=120, check=False)


def command(call: list[str]) -> str:
    """`bq mk`, `gcloud logging sinks create`: what a call does, without names and flags."""
    words = [word for word in call if not word.startswith("--")]
    return " ".join(words[:2] if words[0] == "bq" else words[:4])


def is_read(call: list[str]) -> bool:
    return command(call).rsplit(" ", 1)[-1] in READS


def writes(calls: list[list[str]]) -> list[list[str]]:
    return [call for call in calls if not is_read(call)]


def test_first_run_creates_everything_second_changes_nothing_third_updates_one_file(
        tmp_path: Path) -> None:
    first = telemetry(tmp_path)
    assert first.returncode == 0, first.stderr
    made = writes(fake_gcloud.calls(tmp_path))
    assert [command(call) for call in made] == [
        "bq mk", "gcloud logging sinks create", *["gcloud logging metrics create"] * 4,
        *["gcloud monitoring policies create"] * 4, "gcloud monitoring dashboards create",
        "bq update"]  # the grant, once the sink's writer identity could be read
    project = fake_gcloud.state(tmp_path)
    assert set(project["metrics"]) == {metric.key for metric in rendered().metrics}
    assert len(project["policies"]) == 4
    assert list(project["dashboards"]) == [
        "ticket-urgency-telemetry"]
    access = project["datasets"][TARGET.dataset_ref]["access"]
    writer = fake_gcloud.WRITER_IDENTITY.partition(":")[2]
    assert {"role": "WRITER", "userByEmail": writer} in access
    assert {"role": "READER", "userByEmail": READER.partition(":")[2]} in access
    assert project["datasets"][TARGET.dataset_ref]["location"] == "EU"
    assert "12 change(s) applied" in first.stdout

    before = len(fake_gcloud.calls(tmp_path))
    second = telemetry(tmp_path)
    assert second.returncode == 0, second.stderr
    again = fake_gcloud.calls(tmp_path)[before:]
    assert again
    assert writes(again) == []
    assert len(again) == 8  # one read per resource, one round
    assert "everything already matches" in second.stdout

    definitions = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS, definitions)
    policy = definitions / "alerts" / "latency_p99.yaml"
    policy.write_text(policy.read_text().replace("thresholdValue: 200", "thresholdValue: 250"))
    before = len(fake_gcloud.calls(tmp_path))
    third = telemetry(tmp_path, "--definitions", str(definitions))
    assert third.returncode == 0, third.stderr
    [update] = writes(fake_gcloud.calls(tmp_path)[before:])
    [latency] = [p for p in fake_gcloud.state(tmp_path)["policies"]
                 if p["displayName"] == "ticket-urgency: prediction latency p99"]
    assert update[:5] == ["gcloud", "monitoring", "policies", "update", latency["name"]]
    assert latency["conditions"][0]["conditionThreshold"]["thresholdValue"] == 250
    assert "1 change(s) applied" in third.stdout


def test_dry_run_prints_every_command_of_a_first_run_and_runs_none(tmp_path: Path) -> None:
    dry = telemetry(tmp_path, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert fake_gcloud.calls(tmp_path) == []
    assert not (tmp_path / "out").exists()
    printed = [line for line in dry.stdout.splitlines() if not line.startswith("#")]

    real = tmp_path / "real"
    assert telemetry(real, out=tmp_path / "out").returncode == 0  # the same paths as printed
    issued = fake_gcloud.calls(real)
    assert all(is_read(call) for call in issued[:8])
    assert printed == [shlex.join(call) for call in issued[:8] + writes(issued)]


def test_a_failing_command_is_named_with_its_last_line_and_a_rerun_finishes(
        tmp_path: Path) -> None:
    failed = telemetry(tmp_path, FAKE_CLOUD_FAIL="gcloud logging metrics create")
    assert failed.returncode == 1
    [line] = failed.stderr.splitlines()
    assert line.startswith("error: gcloud logging metrics create ticket_urgency_prediction_latency "
                           f"--project={TARGET.project} --config-from-file=")
    assert line.endswith("failed (exit 1): ERROR: (gcloud.logging.metrics.create) "
                         "PERMISSION_DENIED: Permission denied for the caller.")
    assert telemetry(tmp_path).returncode == 0
    assert len(fake_gcloud.state(tmp_path)["metrics"]) == 4


def test_a_read_that_fails_otherwise_than_not_found_stops_before_any_write(
        tmp_path: Path) -> None:
    failed = telemetry(tmp_path, FAKE_CLOUD_FAIL="gcloud monitoring policies list")
    assert failed.returncode == 1
    assert "gcloud monitoring policies list" in failed.stderr
    assert writes(fake_gcloud.calls(tmp_path)) == []


@pytest.mark.parametrize(("variable", "value"), [("TELEMETRY_DATASET", "bad-name"),
                                                 ("TELEMETRY_DATASET_READERS", "bob")])
def test_a_bad_setting_exits_2_naming_it_and_runs_nothing(tmp_path: Path, variable: str,
                                                          value: str) -> None:
    refused = telemetry(tmp_path, **{variable: value})
    assert refused.returncode == 2
    assert f"{variable}={value!r}:" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert fake_gcloud.calls(tmp_path) == []


def test_without_gcloud_and_bq_a_real_run_is_refused_but_a_dry_run_works(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = telemetry(tmp_path, PATH=str(empty))
    assert refused.returncode == 2
    assert "gcloud and bq not installed" in refused.stderr
    assert telemetry(tmp_path, "--dry-run", PATH=str(empty)).returncode == 0


def test_make_deploy_prints_the_telemetry_dry_run_on_stderr_and_deploy_telemetry_on_stdout(
        tmp_path: Path) -> None:
    """`make deploy DRY_RUN=1` keeps stdout for the build's dry run (test_build.py) and shows
    the telemetry step's commands on stderr; `make deploy-telemetry DRY_RUN=1` prints them."""
    direct = telemetry(tmp_path, "--dry-run", out=REPO / "build" / "telemetry")
    venv = Path(sys.executable).parent.parent
    env = {**os.environ, **TEST_ENV, "MLFLOW_TRACKING_URI": "https://mlflow.example.com"}

    def make(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # -o install: never (re)install the environment here
            ["make", "-s", "-o", "install", *args, "DRY_RUN=1", f"VENV={venv}"], cwd=REPO,
            env=env, capture_output=True, text=True, timeout=120, check=False)

    alone = make("deploy-telemetry")
    assert alone.returncode == 0, alone.stderr
    assert alone.stdout == direct.stdout
    deploy = make("deploy", "GIT_SHA=abc1234", "BRANCH=main")
    assert deploy.returncode == 0, deploy.stderr
    assert deploy.stderr.startswith(direct.stdout)
    assert deploy.stdout.startswith("gcloud builds submit ")
    assert fake_gcloud.calls(tmp_path) == []
    assert "## " in next(line for line in (REPO / "Makefile").read_text().splitlines()
                         if line.startswith("deploy-telemetry:"))
