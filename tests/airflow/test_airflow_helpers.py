"""The DAGs' helper package and airflow-up's pid handling, one decision at a time.

Project commands are replaced by tiny shell scripts here, to pin down how each exit code is
treated; the DAG tests run the real commands.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("airflow.sdk", reason="Airflow's tests run in .venv-airflow: make airflow-test")

from airflow.sdk.exceptions import AirflowFailException
from airflow_support import REPO, Webhook, load_airflow_local
from ticket_urgency_airflow import mlflow_links, monitoring, notify, task_defaults, training
from ticket_urgency_airflow.commands import (
    CommandResult,
    DeterministicFailure,
    TransientFailure,
    _stop_group,
)
from ticket_urgency_airflow.dates import monitoring_window, reference_time, run_day
from ticket_urgency_airflow.settings import (
    PipelineSettings,
    SettingsError,
    load_settings,
)


def settings_with(bin_dir: Path, **changes: Any) -> PipelineSettings:
    base = load_settings({"PROJECT_DIR": str(REPO), "PROJECT_BIN": str(bin_dir)}.get, check=False)
    return PipelineSettings(**{**base.__dict__, **changes})


def fake_bin(folder: Path, **scripts: str) -> Path:
    """A bin folder of shell scripts standing in for the project's commands."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in scripts.items():
        path = folder / name.replace("_", "-")
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(0o755)
    return folder


# --- dates ---------------------------------------------------------------------------------

def test_scheduled_run_uses_its_data_interval_end() -> None:
    run = SimpleNamespace(data_interval_end=datetime(2025, 3, 2, tzinfo=UTC),
                          run_after=datetime(2025, 3, 2, 0, 0, 7, tzinfo=UTC))
    assert run_day(run) == date(2025, 3, 2)
    window = monitoring_window(run)
    assert (window.start, window.end) == (datetime(2025, 3, 1, tzinfo=UTC),
                                          datetime(2025, 3, 2, tzinfo=UTC))


def test_manual_run_without_logical_date_uses_run_after() -> None:
    run = SimpleNamespace(data_interval_end=None,
                          run_after=datetime(2025, 3, 7, 15, 30, tzinfo=UTC))
    assert reference_time(run) == datetime(2025, 3, 7, 15, 30, tzinfo=UTC)
    assert run_day(run) == date(2025, 3, 7)
    assert monitoring_window(run).day == date(2025, 3, 6)  # the last full day
    assert monitoring_window(run, "2025-02-01").end == datetime(2025, 2, 2, tzinfo=UTC)
    with pytest.raises(ValueError, match="param day='yesterday': must be a date"):
        monitoring_window(run, "yesterday")


# --- settings ------------------------------------------------------------------------------

def test_settings_defaults_are_relative_to_the_project(tmp_path: Path) -> None:
    values = {"PROJECT_DIR": str(tmp_path), "TU_SNAPSHOT_DIR": "snaps",
              "TU_TRAINING_DATA_SOURCE": "gs://bucket/tickets.csv"}
    settings = load_settings(values.get, check=False)
    assert settings.project_bin == tmp_path / ".venv" / "bin"
    assert settings.snapshot_dir == str(tmp_path / "snaps")
    assert settings.training_data_source == "gs://bucket/tickets.csv"
    assert settings.tracking_uri == f"sqlite:///{tmp_path / '.mlflow' / 'mlflow.db'}"
    assert settings.service_url == "http://127.0.0.1:8080"
    assert settings.alert_webhook is None


def test_settings_name_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"PROJECT_DIR=.*no mlflow_project/MLproject"):
        load_settings({"PROJECT_DIR": str(tmp_path)}.get)
    with pytest.raises(SettingsError, match=r"PROJECT_BIN=.*no executable 'ticket-urgency'"):
        load_settings({"PROJECT_DIR": str(REPO), "PROJECT_BIN": str(tmp_path)}.get)
    with pytest.raises(SettingsError, match="TU_HTTP_TIMEOUT_SECONDS='soon'"):
        load_settings({"TU_HTTP_TIMEOUT_SECONDS": "soon"}.get, check=False)


def test_wrong_settings_and_refusals_fail_tasks_without_retries() -> None:
    """Airflow never retries an AirflowFailException: a wrong setting or refused data fails the
    task at once with its message; TransientFailure is retried with backoff."""
    assert issubclass(SettingsError, AirflowFailException)
    assert issubclass(DeterministicFailure, AirflowFailException)
    assert not issubclass(TransientFailure, AirflowFailException)


def test_a_drift_alert_fails_its_task_with_the_one_line_reason() -> None:
    """Airflow logs a SystemExit as `Task exited exit_code=<reason>`, no stack trace; the
    alert task has no retries, and the failure callback does not report it twice."""
    alert = monitoring.AlertRaised("ticket_urgency monitoring found data drift")
    assert isinstance(alert, SystemExit)
    assert alert.code == "ticket_urgency monitoring found data drift"
    assert alert.already_notified is True


# --- links to the MLflow run a command started ----------------------------------------------
def test_run_links_use_the_ui_setting_else_a_tracking_server_never_a_local_store(
        tmp_path: Path) -> None:
    local = settings_with(tmp_path, tracking_uri="sqlite:////x/mlflow.db")
    assert mlflow_links.run_url(local, "3", "abc") is None
    server = settings_with(tmp_path, tracking_uri="https://user:secret@mlflow.example/")
    assert mlflow_links.run_url(server, "3", "abc") == \
        "https://mlflow.example/#/experiments/3/runs/abc"
    chosen = settings_with(tmp_path, tracking_uri="http://10.0.0.5:5000",
                           mlflow_ui_url="https://mlflow.example.org/")
    assert mlflow_links.run_url(chosen, "0", "f00") == \
        "https://mlflow.example.org/#/experiments/0/runs/f00"
    assert load_settings({"TU_MLFLOW_UI_URL": "https://ui"}.get, check=False).mlflow_ui_url == \
        "https://ui"
    scripts = fake_bin(tmp_path / "bin", ticket_urgency="", registry_tools="", mlflow="",
                       python="")
    with pytest.raises(SettingsError, match=r"TU_MLFLOW_UI_URL='mlflow\.example': must start"):
        load_settings({"PROJECT_DIR": str(REPO), "PROJECT_BIN": str(scripts),
                       "TU_MLFLOW_UI_URL": "mlflow.example"}.get)


def test_monitoring_result_links_the_run_named_in_its_summary(tmp_path: Path) -> None:
    summary = '{"status": "drift", "mlflow": {"run_id": "r1", "experiment_id": "7"}}'
    settings = settings_with(fake_bin(tmp_path / "bin", python=(
        'out=$(echo "$@" | sed "s/.*--out \\([^ ]*\\).*/\\1/"); mkdir -p "$out"; '
        f"echo '{summary}' > \"$out/summary.json\"; exit 10")),
        monitoring_dir=str(tmp_path / "mon"), mlflow_ui_url="http://ui:5000")
    window = monitoring_window(SimpleNamespace(data_interval_end=None,
                                               run_after=datetime(2025, 3, 2, 9, tzinfo=UTC)))
    result = monitoring.run_monitoring(settings, window)
    assert result["mlflow_run_url"] == "http://ui:5000/#/experiments/7/runs/r1"
    text = monitoring.alert_text(result)
    assert "\n" not in text
    assert text.endswith("; MLflow run http://ui:5000/#/experiments/7/runs/r1")


# --- commands and their exit codes ---------------------------------------------------------

def test_error_message_is_the_commands_own_reason() -> None:
    result = CommandResult(args=("x/ticket-urgency", "validate"), returncode=3,
                           lines=("INFO noise", "error: data refused: class urgent (1) is absent",
                                  "more"), seconds=0.1)
    assert result.error_message() == "data refused: class urgent (1) is absent"
    assert result.name == "ticket-urgency validate"
    with pytest.raises(TransientFailure, match="printed no JSON summary"):
        result.last_json()


@pytest.mark.parametrize(("suffix", "expected"), [
    ("/data/tickets.parquet", "tickets.parquet"), ("gs://b/export.csv", "tickets.csv"),
    ("/data/dump", "tickets.csv")])
def test_snapshot_keeps_the_source_format(tmp_path: Path, suffix: str, expected: str) -> None:
    settings = settings_with(tmp_path, snapshot_dir="gs://bucket/snaps/")
    assert training.snapshot_destination(settings, suffix, date(2025, 1, 2)) == \
        f"gs://bucket/snaps/2025-01-02/{expected}"


def test_validate_refusal_fails_for_good_other_errors_are_retried(tmp_path: Path) -> None:
    snapshot = {"path": "/x.csv", "sha256": "abc"}
    refusing = settings_with(fake_bin(tmp_path / "a", ticket_urgency=(
        'echo \'{"sha256": "abc"}\'; echo "error: data refused: 97% of rows broken" >&2; exit 3')))
    with pytest.raises(DeterministicFailure, match=r"not training on /x\.csv: data refused: 97%"):
        training.validate_snapshot(refusing, snapshot)
    crashing = settings_with(fake_bin(tmp_path / "b", ticket_urgency="echo boom >&2; exit 1"))
    with pytest.raises(TransientFailure, match="exit 1"):
        training.validate_snapshot(crashing, snapshot)
    changed = settings_with(fake_bin(tmp_path / "c", ticket_urgency='echo \'{"sha256": "def"}\''))
    with pytest.raises(DeterministicFailure, match="changed after it was taken"):
        training.validate_snapshot(changed, snapshot)


def test_mlflow_run_failures_are_told_apart_by_the_commands_reason(tmp_path: Path) -> None:
    snapshot = {"path": "/x.csv"}
    refused = settings_with(fake_bin(
        tmp_path / "a", ticket_urgency="echo 'experiment ticket_urgency: id 1'",
        mlflow='echo "error: training refused, nothing registered: empty" >&2; exit 1'))
    with pytest.raises(DeterministicFailure, match="training refused"):
        training.train(refused, snapshot)
    outage = settings_with(fake_bin(
        tmp_path / "b", ticket_urgency="echo 'experiment ticket_urgency: id 1'",
        mlflow='echo "error: the tracking server failed, no alias was moved" >&2; exit 1'))
    with pytest.raises(TransientFailure, match="tracking server failed"):
        training.train(outage, snapshot)
    args_file = tmp_path / "args"
    fine = settings_with(fake_bin(
        tmp_path / "c", ticket_urgency="echo 'experiment ticket_urgency: id 1'",
        mlflow=f'echo "$@" > {args_file}; echo "run abc123: same data, code and parameters as '
               f'version 4; nothing new registered"'))
    outcome = training.train(fine, snapshot)
    assert outcome["outcome"] == "duplicate"
    assert (outcome["version"], outcome["mlflow_run_id"]) == ("4", "abc123")
    assert outcome["experiment_id"] == "1"
    assert "-P data=/x.csv" in args_file.read_text()


def test_auto_promote_only_when_asked_and_the_gate_passed(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    settings = settings_with(fake_bin(
        tmp_path / "bin", registry_tools=f'echo "$@" >> {calls}; '
                                         'echo "ticket_urgency@production: v1 -> v2"'))
    passed = {"version": "2", "validation_status": "passed", "aliases": ["challenger"]}
    assert training.auto_promote(settings, passed, enabled=False, run_id="r")["promoted"] is False
    failed = {**passed, "validation_status": "failed", "validation_reason": "roc_auc 0.6 < 0.75"}
    assert "did not pass the gate: roc_auc" in training.auto_promote(
        settings, failed, enabled=True, run_id="r")["reason"]
    in_production = {**passed, "aliases": ["production"]}
    assert "is not @challenger" in training.auto_promote(
        settings, in_production, enabled=True, run_id="r")["reason"]
    assert not calls.exists()
    promoted = training.auto_promote(settings, passed, enabled=True, run_id="scheduled__x")
    assert promoted["promoted"] is True
    assert calls.read_text().strip() == ("promote --from challenger --if-pending --reason "
                                         "airflow auto-promote scheduled__x")


@pytest.mark.parametrize(("code", "finding"), [(0, "ok"), (10, "drift"), (11, "quality_breach"),
                                               (12, "drift_and_quality_breach"),
                                               (13, "insufficient_data")])
def test_monitoring_findings_are_results_not_failures(tmp_path: Path, code: int,
                                                      finding: str) -> None:
    settings = settings_with(fake_bin(tmp_path / "bin", python=(
        'out=$(echo "$@" | sed "s/.*--out \\([^ ]*\\).*/\\1/"); mkdir -p "$out"; '
        f'echo \'{{"status": "{finding}"}}\' > "$out/summary.json"; exit {code}')),
        monitoring_dir=str(tmp_path / "mon"))
    window = monitoring_window(SimpleNamespace(data_interval_end=None,
                                               run_after=datetime(2025, 3, 2, 9, tzinfo=UTC)))
    result = monitoring.run_monitoring(settings, window)
    assert (result["exit_code"], result["finding"]) == (code, finding)
    assert result["drift"] is (code in (10, 12))
    assert result["quality_breach"] is (code in (11, 12))
    assert result["summary"] == {"status": finding}
    assert result["out"] == str(tmp_path / "mon" / "2025-03-01")
    assert (result["since"], result["until"]) == ("2025-03-01T00:00:00Z", "2025-03-02T00:00:00Z")


def test_monitoring_insufficient_data_goes_to_all_clear_saying_no_verdict_was_made() -> None:
    line = "insufficient data: 5 of 100 required records of model ticket_urgency v1"
    result = {"exit_code": 13, "finding": "insufficient_data", "drift": False,
              "quality_breach": False, "out": "/mon/2025-03-01", "since": "2025-03-01T00:00:00Z",
              "until": "2025-03-02T00:00:00Z",
              "summary": {"status": "insufficient_data", "status_line": line}}
    assert monitoring.branches(result, trigger_training=True) == ["all_clear"]
    assert monitoring.clear_text(result) == (
        f"ticket_urgency monitoring 2025-03-01T00:00:00Z..2025-03-02T00:00:00Z: no verdict, "
        f"{line}; details in /mon/2025-03-01/summary.json")
    ok = {**result, "exit_code": 0, "finding": "ok"}
    assert monitoring.clear_text(ok).endswith(": no drift, no quality breach")


@pytest.mark.parametrize(("body", "failure", "message"), [
    ("echo 'error: --alpha must be in (0, 1)' >&2; exit 2", DeterministicFailure,
     "refused its arguments: --alpha"),
    ("echo 'error: input unusable: no records in the window' >&2; exit 3", DeterministicFailure,
     "are unusable: input unusable: no records"),
    ("echo 'No module named mlflow_project.monitoring' >&2; exit 1", DeterministicFailure,
     "is not in the project's environment"),
    ("echo 'error: unexpected error (traceback above)' >&2; exit 1", TransientFailure,
     "exit 1"),
])
def test_monitoring_errors(tmp_path: Path, body: str, failure: type[Exception],
                           message: str) -> None:
    settings = settings_with(fake_bin(tmp_path / "bin", python=body),
                             monitoring_dir=str(tmp_path / "mon"))
    window = monitoring_window(SimpleNamespace(data_interval_end=None,
                                               run_after=datetime(2025, 3, 2, tzinfo=UTC)))
    with pytest.raises(failure, match=message):
        monitoring.run_monitoring(settings, window)


def test_monitoring_command_passes_the_optional_settings(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, prediction_logs="gs://logs/predictions",
                             monitoring_model_uri="models:/ticket_urgency@challenger",
                             monitoring_feedback="/labels.csv", monitoring_engine="scipy")
    window = monitoring_window(SimpleNamespace(data_interval_end=None,
                                               run_after=datetime(2025, 3, 2, tzinfo=UTC)))
    command = monitoring.monitoring_command(settings, window, "/out")
    assert command[1:] == ["-m", "mlflow_project.monitoring", "--logs", "gs://logs/predictions",
                           "--since", "2025-03-01T00:00:00Z", "--until", "2025-03-02T00:00:00Z",
                           "--out", "/out", "--model-uri", "models:/ticket_urgency@challenger",
                           "--feedback", "/labels.csv", "--engine", "scipy"]


def test_branches() -> None:
    clear = {"drift": False, "quality_breach": False}
    assert monitoring.branches(clear, trigger_training=True) == ["all_clear"]
    drift = {"drift": True, "quality_breach": False}
    assert monitoring.branches(drift, trigger_training=False) == ["alert"]
    assert monitoring.branches(drift, trigger_training=True) == ["alert", "trigger_training"]
    quality = {"drift": False, "quality_breach": True}
    assert monitoring.branches(quality, trigger_training=True) == ["alert"]


def test_stopping_a_command_stops_its_whole_process_group(tmp_path: Path) -> None:
    """What run_command does when its task is stopped: nothing the command started survives."""
    child_pid = tmp_path / "child"
    process = subprocess.Popen(["sh", "-c", f"sleep 60 & echo $! > {child_pid}; wait"],
                               start_new_session=True, text=True)
    deadline = time.monotonic() + 5
    while not child_pid.exists() or not child_pid.read_text().strip():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    child = int(child_pid.read_text())
    _stop_group(process)
    assert process.poll() is not None
    time.sleep(0.2)
    assert not Path(f"/proc/{child}").exists() or "Z" in _state(child)


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


# --- the health probe ----------------------------------------------------------------------

@pytest.fixture
def http_server() -> Iterator[tuple[str, dict[str, tuple[int, bytes]]]]:
    """A loopback server answering GETs from a path -> (status, body) table."""
    routes: dict[str, tuple[int, bytes]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = routes.get(self.path, (404, b"not found"))
            self.send_response(status)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", routes
    finally:
        server.shutdown()
        server.server_close()


def test_health_check_records_latency_and_version(
        tmp_path: Path, http_server: tuple[str, dict[str, tuple[int, bytes]]]) -> None:
    url, routes = http_server
    routes["/health"] = (200, b'{"status": "ok"}')
    routes["/ready"] = (200, b'{"status": "ready", "model_version": "7"}')
    result = monitoring.check_service(settings_with(tmp_path, service_url=url), pause=0)
    assert result["model_version"] == "7"
    assert result["latency_ms"]["health"] > 0
    assert result["ready"]["status"] == 200


@pytest.mark.parametrize(("routes", "message"), [
    ({"/health": (200, b'{"status": "ok"}'),
      "/ready": (503, b'{"status": "not ready", "reason": "model not loaded"}')},
     "/ready answered HTTP 503 (model not loaded)"),
    ({"/health": (200, b"<html>Airflow</html>"), "/ready": (200, b"<html>Airflow</html>")},
     'without {"status": "ok"}: is this the prediction service?'),
])
def test_health_check_names_the_url_and_the_reason(
        tmp_path: Path, http_server: tuple[str, dict[str, tuple[int, bytes]]],
        routes: dict[str, tuple[int, bytes]], message: str) -> None:
    url, table = http_server
    table.update(routes)
    with pytest.raises(DeterministicFailure) as failure:
        monitoring.check_service(settings_with(tmp_path, service_url=url), attempts=2, pause=0)
    assert (f"prediction service at {url} is down or not ready after 2 attempts"
            in str(failure.value))
    assert message in str(failure.value)


# --- notifications -------------------------------------------------------------------------

def test_send_posts_json_to_the_webhook(webhook: Webhook) -> None:
    assert notify.send({"event": "x.y", "text": "hello"}, webhook.url, 5) is True
    assert webhook.messages == [{"event": "x.y", "text": "hello"}]
    assert notify.send({"event": "x.y", "text": "hello"}, None, 5) is False
    assert len(webhook.messages) == 1


def test_messages_carry_no_credentials() -> None:
    assert notify.without_credentials("postgresql+psycopg2://ml:s3cret@db:5432/mlflow") == \
        "postgresql+psycopg2://db:5432/mlflow"
    assert notify.without_credentials("sqlite:////tmp/mlflow.db") == "sqlite:////tmp/mlflow.db"


def test_webhook_errors_are_clear(http_server: tuple[str, dict[str, tuple[int, bytes]]]) -> None:
    url, _ = http_server  # answers 501 to POST (no do_POST)
    with pytest.raises(notify.WebhookError, match=r"webhook at 127\.0\.0\.1:\d+ answered HTTP 501"):
        notify.post_json(f"{url}/hook?token=secret", {"a": 1}, 5)
    with pytest.raises(notify.WebhookError, match="unreachable") as failure:
        notify.post_json("http://127.0.0.1:9/hook?token=secret", {"a": 1}, 2)
    assert "secret" not in str(failure.value)


def test_failure_callback_reports_once_and_never_raises(webhook: Webhook,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ticket_urgency_airflow.settings.airflow_lookup",
                        {"TU_ALERT_WEBHOOK": webhook.url}.get)
    context = {"ti": SimpleNamespace(task_id="validate", try_number=1),
               "dag_run": SimpleNamespace(dag_id="ticket_urgency_training", run_id="r1"),
               "exception": DeterministicFailure("data refused: empty")}
    task_defaults.notify_task_failure(context)
    assert webhook.last("training.failed")["error"] == "data refused: empty"
    task_defaults.notify_task_failure({**context, "exception": monitoring.AlertRaised("drift")})
    assert len(webhook.messages) == 1  # the alert task already posted its own message
    monkeypatch.setattr("ticket_urgency_airflow.settings.airflow_lookup",
                        {"TU_ALERT_WEBHOOK": "http://127.0.0.1:9/down"}.get)
    task_defaults.notify_task_failure(context)  # logs the webhook error, does not raise


# --- airflow-up's pids ---------------------------------------------------------------------

@pytest.fixture
def local(tmp_path: Path) -> Any:
    module = load_airflow_local()
    return module, module.Config(run_dir=tmp_path, port=1, components=("scheduler",),
                                 startup_timeout=1, database_uri="", airflow_bin=Path("/bin/x"))


def _sleeper(tmp_path: Path, name: str) -> subprocess.Popen[bytes]:
    """A process of ours whose command name holds a space and a parenthesis."""
    program = tmp_path / name
    shutil.copy(shutil.which("sleep") or "/bin/sleep", program)
    return subprocess.Popen([str(program), "60"], start_new_session=True)


def test_down_never_signals_a_recycled_pid(local: Any, tmp_path: Path) -> None:
    module, config = local
    stranger = _sleeper(tmp_path, "not (ours")
    try:
        ticks = module.start_ticks(stranger.pid)
        assert ticks is not None  # parsed despite ") " in the command name
        config.pid_file("scheduler").write_text(json.dumps(
            {"pid": stranger.pid, "start_ticks": ticks - 1}))  # an earlier process had this pid
        message = module.stop_component(config, "scheduler")
        assert "not running" in message
        assert stranger.poll() is None  # untouched
        assert not config.pid_file("scheduler").exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_down_stops_the_process_it_started_and_its_children(local: Any, tmp_path: Path) -> None:
    module, config = local
    ours = subprocess.Popen(["sh", "-c", "sleep 60 & sleep 60 & wait"], start_new_session=True)
    try:
        deadline = time.monotonic() + 5
        started = module.Started("scheduler", ours.pid, module.start_ticks(ours.pid))
        while len(started.members()) < 3:
            assert time.monotonic() < deadline, started.members()
            time.sleep(0.05)
        members = started.members()
        config.pid_file("scheduler").write_text(json.dumps(
            {"pid": ours.pid, "start_ticks": started.start_ticks}))
        assert module.read_pid_file(config, "scheduler") == started
        assert "stopped (pid" in module.stop_component(config, "scheduler")
        ours.wait(timeout=5)
        time.sleep(0.2)
        assert [pid for pid in members if pid != ours.pid and os.path.exists(f"/proc/{pid}")
                and "Z" not in _state(pid)] == []
    finally:
        if ours.poll() is None:
            ours.kill()


def test_garbage_pid_file_is_ignored(local: Any) -> None:
    module, config = local
    config.pid_file("scheduler").write_text("12")
    assert module.read_pid_file(config, "scheduler") is None
    assert "not started by airflow-up" in module.stop_component(config, "scheduler")


def test_up_refuses_a_port_it_does_not_own(local: Any, tmp_path: Path,
                                           http_server: tuple[str, Any]) -> None:
    module, _ = local
    port = int(http_server[0].rsplit(":", 1)[1])
    busy = module.Config(run_dir=tmp_path, port=port, components=("api-server", "scheduler"),
                         startup_timeout=1, database_uri="", airflow_bin=Path("/bin/x"))
    with pytest.raises(module.AirflowLocalError,
                       match=f"port {port} on 127.0.0.1 is busy .*AIRFLOW_PORT="):
        module.up(busy)
    assert list(tmp_path.glob("*.pid")) == []


def test_no_component_starts_a_log_server_on_every_interface(local: Any, tmp_path: Path) -> None:
    """Airflow 3.3's log servers bind every interface (no setting for the host), so airflow-up
    starts the scheduler and the triggerer without them, with an option this Airflow knows."""
    from airflow.cli.cli_config import core_commands

    module, _ = local
    fake = tmp_path / "airflow"
    fake.write_text('#!/bin/sh\necho "$@" > "$0.$1.args"\nexec sleep 30\n')
    fake.chmod(0o755)
    config = module.Config(run_dir=tmp_path, port=1, components=module.ALL_COMPONENTS,
                           startup_timeout=1, database_uri="", airflow_bin=fake)
    for component in module.ALL_COMPONENTS:
        module.start_component(config, component, dict(os.environ))
    try:
        for component in module.ALL_COMPONENTS:
            recorded = tmp_path / f"airflow.{component}.args"
            deadline = time.monotonic() + 5
            while not recorded.exists() or not recorded.read_text():
                assert time.monotonic() < deadline, f"{component} was not started"
                time.sleep(0.05)
            skipped = "--skip-serve-logs" in recorded.read_text().split()
            assert skipped is (component in ("scheduler", "triggerer")), recorded.read_text()
    finally:
        for component in module.ALL_COMPONENTS:
            module.stop_component(config, component)
    flags = {command.name: {flag for arg in command.args for flag in arg.flags}
             for command in core_commands if command.name in ("scheduler", "triggerer")}
    assert all("--skip-serve-logs" in known for known in flags.values())
    assert len(flags) == 2
