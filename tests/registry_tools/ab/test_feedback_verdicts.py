"""One feedback file, one verdict: `monitor` and `registry-tools ab status` read delayed labels
through the same rules (`contracts.feedback`), so they accept and refuse the same files, naming
the same row and rule, with the same exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.deploy.cloudrun.fake_cloud_run import FakeCloudRun
from tests.deploy.cloudrun.test_traffic import V1, V2
from tests.registry_tools.ab.support import Registry, ab
from tests.registry_tools.ab.test_ab_analysis import log_line
from tests.support import REPO

pytestmark = pytest.mark.integration
EXIT_INPUT_UNUSABLE = 3
BROKEN = {
    "bad label": ("ticket_id,urgent\nt0,1\nt1,maybe\n", "row 3: urgent must be 0 or 1"),
    "no id": ("ticket_id,urgent\n,1\nt1,0\n", "row 2: ticket_id must not be empty"),
    "conflict": ("ticket_id,urgent\nt0,1\nt0,0\n", "row 3: ticket_id 't0' has conflicting"),
    "no label column": ("ticket_id,label\nt0,1\n", "missing column(s) urgent"),
}


@pytest.fixture
def logs(tmp_path: Path) -> tuple[Path, datetime]:
    """An hour-old folder of prediction logs of versions 1 and 2, tickets t0..t39."""
    start = datetime.now(UTC) - timedelta(hours=1)
    folder = tmp_path / "logs"
    folder.mkdir()
    lines = [log_line(i, "2" if i % 4 == 0 else "1", start, ticket=f"t{i}") for i in range(40)]
    (folder / "export.jsonl").write_text("\n".join(lines) + "\n")
    return folder, start


def monitor(logs: Path, since: datetime, feedback: Path, out: Path
            ) -> subprocess.CompletedProcess[str]:
    window = ("--since", since.isoformat(), "--until", (since + timedelta(hours=1)).isoformat())
    return subprocess.run([sys.executable, "-m", "mlflow_project.monitoring", "--logs",
                           str(logs), *window, "--feedback", str(feedback), "--out", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_feedback_file_is_refused_alike_by_monitor_and_ab_status(
        case: str, fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry,
        logs: tuple[Path, datetime], tmp_path: Path) -> None:
    text, rule = BROKEN[case]
    feedback = tmp_path / "labels.csv"
    feedback.write_text(text)
    fake_cloud_run.seed(service_path, [V1, V2], [(V1, 100, "production")])
    folder, start = logs

    status = ab("status", "--target", "cloudrun", "--logs", str(folder), "--feedback",
                str(feedback))
    watched = monitor(folder, start, feedback, tmp_path / "out")

    assert status.exit_code == EXIT_INPUT_UNUSABLE, status.output
    assert watched.returncode == EXIT_INPUT_UNUSABLE, watched.stderr
    for said in (status.output, watched.stderr):
        assert f"feedback unusable: {feedback}: " in said
        assert rule in said
    assert not (tmp_path / "out" / "summary.json").exists()


def test_a_good_feedback_file_gives_ab_status_every_label(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry,
        logs: tuple[Path, datetime], tmp_path: Path) -> None:
    feedback = tmp_path / "labels.csv"
    feedback.write_text("ticket_id,urgent\nt0,1\nt4,true\nt1,0\nt0,1\n")  # t0 twice, same label
    fake_cloud_run.seed(service_path, [V1, V2], [(V1, 100, "production")])
    folder, start = logs
    status = ab("status", "--target", "cloudrun", "--logs", str(folder), "--since",
                start.isoformat(), "--feedback", str(feedback), "--json")
    assert status.exit_code == 0, status.output
    assert json.loads(status.output)["analysis"]["labels"] == 3
