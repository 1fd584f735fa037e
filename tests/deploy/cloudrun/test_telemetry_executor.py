"""The telemetry executor, with an in-process runner: rounds of reads and writes until nothing
differs, rendered files written before the command that reads them, and a resource the API keeps
returning otherwise than its definition is reported instead of updated forever."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from deploy.cloudrun.telemetry.executor import MAX_ROUNDS, NotConverged, converge
from deploy.cloudrun.telemetry.state import Result
from tests.deploy.cloudrun.telemetry_support import TARGET, rendered

MISSING = Result(1, "", "ERROR: (gcloud.x) NOT_FOUND: Requested entity was not found.\n")


class NothingSticks:
    """A project where every write succeeds and nothing is ever there when read."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, argv: Sequence[str]) -> Result:
        self.calls.append(tuple(argv))
        if argv[:2] == ("gcloud", "monitoring") and argv[3] == "list":
            return Result(0, "[]", "")
        if argv[0] == "bq" and "show" in argv:
            return Result(2, f"BigQuery error in show operation: Not found: Dataset {argv[-1]}\n",
                          "")
        if "describe" in argv:
            return MISSING
        for arg in argv:  # each file a write reads exists when it runs
            if arg.startswith(("--config-from-file=", "--policy-from-file=")):
                assert (self.root / arg.partition("=")[2]).is_file()
        return Result(0, "", "")


def test_a_project_that_never_matches_is_reported_after_the_last_round(tmp_path: Path) -> None:
    runner = NothingSticks(tmp_path)
    said: list[str] = []
    with pytest.raises(NotConverged, match="create log-based metric ticket_urgency_predictions"):
        converge(rendered(), TARGET, "out", run=runner, root=tmp_path, say=said.append)
    creates = [call for call in runner.calls if "create" in call or "mk" in call]
    per_round = 3 + len(rendered().metrics) + len(rendered().policies)  # + dataset, sink, board
    assert len(creates) == (MAX_ROUNDS - 1) * per_round  # every round but the last wrote
    assert said.count(f"# create dashboard {rendered().dashboard.key}") == MAX_ROUNDS - 1
    assert (tmp_path / "out" / "dashboard.json").is_file()
