"""`ticket-urgency ensure-experiment` says what it printed: `make train` and `make demo` used to
show a bare experiment id ("1", "2") in their output."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import BIN, make_store

pytestmark = pytest.mark.integration


def test_ensure_experiment_names_the_experiment_and_its_id(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    first = store.run(str(BIN / "ticket-urgency"), "ensure-experiment", "--name", "front-door")
    again = store.run(str(BIN / "ticket-urgency"), "ensure-experiment", "--name", "front-door")
    assert first.returncode == 0, first.stderr[-2000:]
    experiment = store.client().get_experiment_by_name("front-door")
    assert experiment is not None
    assert first.stdout == f"experiment front-door: id {experiment.experiment_id}\n"
    assert again.stdout == first.stdout
