"""`python -m deploy.cloudrun.infra` (`make deploy-infra`, `make deploy-telemetry`) against the
in-memory fake of the Google APIs (fake_google.py) and the real storage client on the GCS
emulator: the first run creates everything, the second only reads, a changed definition is the
only thing the third run updates; the dry run prints every request and sends none; no
credentials, an unreachable API and a bad setting each end in one line and a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.api_core.exceptions import ServiceUnavailable
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from deploy.cloudrun.infra.cli import main
from deploy.cloudrun.infra.tracking import INVOKER, OBJECT_USER
from deploy.cloudrun.settings import CloudRunSettings
from deploy.cloudrun.telemetry.definitions import DEFINITIONS
from tests.deploy.cloudrun.fake_google import WRITER_IDENTITY, FakeClients
from tests.deploy.cloudrun.telemetry_support import CLOUD, TARGET, TEST_ENV, rendered, server
from tests.deploy.cloudrun.telemetry_support import INVOKER as CALLER
from tests.deploy.conftest import REPO
from tests.support import gcs_emulator

DEFS = rendered()
SERVER = server()


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClients]:
    """The fake APIs, with a storage client of an in-process GCS emulator; the test settings."""
    with gcs_emulator() as host:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", host)
        for name, value in TEST_ENV.items():
            monkeypatch.setenv(name, value)
        yield FakeClients(storage.Client(project=TARGET.project,
                                         credentials=AnonymousCredentials()))


def apply(fake: FakeClients, *args: str) -> int:
    """One run of the command with `fake` as its clients."""
    def connect(cloud: CloudRunSettings) -> FakeClients:
        assert cloud.project == TARGET.project
        return fake

    return main(list(args), connect_clients=connect)  # type: ignore[arg-type]


def test_first_run_creates_everything_second_changes_nothing_third_updates_one_definition(
        google: FakeClients, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert apply(google) == 0
    made = [method for _, method in google.writes]
    assert made == [
        "create_dataset", "create_sink", *["create_log_metric"] * len(DEFS.metrics),
        *["create_metric_descriptor"] * len(DEFS.descriptors),
        *["create_alert_policy"] * len(DEFS.policies), "create_dashboard",
        "create_secret", "create_secret", "set_iam_policy", "instances.insert",
        "databases.insert", "add_secret_version", "users.insert", "create_service",
        "set_iam_policy",
        "update_dataset"]  # the grant, once the sink's writer identity could be read
    access = google.bigquery.datasets[f"{TARGET.project}.{TARGET.dataset}"]["access"]
    assert {"role": "roles/bigquery.dataEditor", "iamMember": WRITER_IDENTITY} in access
    assert {"role": "roles/bigquery.dataViewer", "iamMember": TARGET.readers[0]} in access
    assert {"role": "OWNER", "specialGroup": "projectOwners"} in access  # kept
    bucket = google.storage.get_bucket(CLOUD.bucket)  # (the emulator keeps no iamConfiguration)
    grants = bucket.get_iam_policy(requested_policy_version=3).bindings
    assert any(b["role"] == OBJECT_USER and SERVER.member in b["members"] for b in grants)
    [password] = google.secrets.versions[SERVER.secret_path(SERVER.password_secret_id)]
    user = google.sql.users[f"{SERVER.instance.name}/{SERVER.user}"]
    assert len(password) >= 32
    assert password.decode() == user.password
    assert [list(b.members) for b in google.run_services.policies[SERVER.service_path].bindings
            if b.role == INVOKER] == [[CALLER]]
    assert password.decode() not in capsys.readouterr().out

    google.writes.clear()
    assert apply(google) == 0
    assert google.writes == []
    assert "everything already matches" in capsys.readouterr().out

    definitions = tmp_path / "definitions"
    subprocess.run(["cp", "-r", str(DEFINITIONS), str(definitions)], check=True)
    policy = definitions / "alerts" / "latency_p99.yaml"
    policy.write_text(policy.read_text().replace("thresholdValue: 200", "thresholdValue: 250"))
    assert apply(google, "--definitions", str(definitions)) == 0
    assert google.writes == [("AlertPolicies", "update_alert_policy")]
    [latency] = [p for p in google.alert_policies.policies.values()
                 if p.display_name == "ticket-urgency: prediction latency p99"]
    assert latency.conditions[0].condition_threshold.threshold_value == 250
    assert "1 call(s) made" in capsys.readouterr().out


def test_dry_run_prints_every_request_and_sends_none(
        google: FakeClients, capsys: pytest.CaptureFixture[str]) -> None:
    def refuse(cloud: CloudRunSettings) -> FakeClients:
        raise AssertionError("a dry run must not connect")

    assert main(["--dry-run"], connect_clients=refuse) == 0  # type: ignore[arg-type]
    printed = capsys.readouterr().out
    for request in ("CreateSinkRequest", "CreateLogMetricRequest", "CreateAlertPolicyRequest",
                    "CreateDashboardRequest", "SqlInstancesInsertRequest",
                    "AddSecretVersionRequest", "CreateServiceRequest", "Dataset", "Bucket"):
        assert f"={request} {{" in printed
    assert '"password": "(hidden)"' in printed
    assert google.writes == []
    assert list(google.storage.list_buckets()) == []


def test_an_unreachable_api_is_one_line_and_exit_1_and_a_rerun_finishes(
        google: FakeClients, capsys: pytest.CaptureFixture[str]) -> None:
    google.fail["create_log_metric"] = ServiceUnavailable("failed to connect to all addresses")
    with pytest.raises(SystemExit) as failed:
        apply(google, "--only", "telemetry")
    assert failed.value.code == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line == ("error: ServiceUnavailable: 503 failed to connect to all addresses")
    del google.fail["create_log_metric"]
    assert apply(google, "--only", "telemetry") == 0
    assert len(google.log_metrics.metrics) == len(DEFS.metrics)


def test_without_credentials_a_real_run_is_one_line_and_exit_2(
        no_credentials: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in TEST_ENV.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as refused:
        main(["--only", "telemetry"])
    assert refused.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: no Google credentials")
    assert "gcloud auth application-default login" in line


@pytest.mark.parametrize(("variable", "value"), [("TRACKING_INVOKERS", "allUsers"),
                                                 ("TELEMETRY_DATASET", "bad-name"),
                                                 ("TRACKING_SQL_VERSION", "MYSQL_8_0"),
                                                 ("TRACKING_IMAGE", "r.example/mlflow-server:3")])
def test_a_bad_setting_exits_2_naming_it_before_connecting(
        google: FakeClients, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit) as refused:
        apply(google)
    assert refused.value.code == 2
    assert f"{variable}={value!r}:" in capsys.readouterr().err
    assert google.writes == []


def test_the_tracking_server_is_deployed_by_digest_only(
        google: FakeClients, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("TRACKING_IMAGE")
    assert main(["--dry-run", "--only", "tracking"]) == 0
    assert "mlflow-server@sha256:<digest: set TRACKING_IMAGE>" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        apply(google, "--only", "tracking")
    assert refused.value.code == 2
    assert "TRACKING_IMAGE is unset" in capsys.readouterr().err
    assert google.writes == []


def test_make_deploy_prints_the_telemetry_dry_run_on_stderr_and_deploy_infra_everything(
        tmp_path: Path) -> None:
    """`make deploy DRY_RUN=1` keeps stdout for the build's dry run (test_build.py) and shows
    the telemetry step's requests on stderr; `make deploy-telemetry` and `make deploy-infra`
    print theirs."""
    env = {**{k: v for k, v in os.environ.items()
              if not k.startswith(("CLOUD_RUN_", "TELEMETRY_", "TRACKING_"))}, **TEST_ENV,
           "MLFLOW_TRACKING_URI": "https://mlflow.example.com"}
    venv = Path(sys.executable).parent.parent

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=120, check=False)

    def make(*args: str) -> subprocess.CompletedProcess[str]:  # -o install: never reinstall
        return run("make", "-s", "-o", "install", *args, "DRY_RUN=1", f"VENV={venv}")

    telemetry = run(sys.executable, "-m", "deploy.cloudrun.infra", "--only", "telemetry",
                    "--dry-run")
    everything = run(sys.executable, "-m", "deploy.cloudrun.infra", "--dry-run")
    assert telemetry.returncode == everything.returncode == 0, everything.stderr
    assert make("deploy-telemetry").stdout == telemetry.stdout
    assert make("deploy-infra").stdout == everything.stdout
    deploy = make("deploy", "GIT_SHA=abc1234", "BRANCH=main")
    assert deploy.returncode == 0, deploy.stderr
    assert deploy.stderr.startswith(telemetry.stdout)
    assert deploy.stdout.startswith("gcloud builds submit ")
    lines = (REPO / "Makefile").read_text().splitlines()
    for target in ("deploy-telemetry:", "deploy-infra:"):
        assert "## " in next(line for line in lines if line.startswith(target))
