"""The import graph of the project's packages: no cycles, and the layers of `[tool.importlinter]`.

grimp parses the source (it imports nothing), so the Airflow DAG package is analysed from this
environment too, with airflow/dags on the path. Imports inside functions count.
"""

from __future__ import annotations

import graphlib
import os
import subprocess
import sys

import grimp
import pytest

from tests.support import BIN, REPO

PACKAGES = ("contracts", "mlflow_project", "serving", "registry_tools", "demo", "deploy",
            "ticket_urgency_airflow")
DAGS = REPO / "airflow" / "dags"


def import_cycle(graph: grimp.ImportGraph) -> list[str] | None:
    """One module-level import cycle of `graph` (first module repeated at the end), or None."""
    edges = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    try:
        graphlib.TopologicalSorter(edges).prepare()
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return None


@pytest.fixture(scope="module")
def project_graph() -> grimp.ImportGraph:
    sys.path.insert(0, str(DAGS))
    try:
        return grimp.build_graph(*PACKAGES, cache_dir=None)
    finally:
        sys.path.remove(str(DAGS))


def test_a_cycle_is_found_where_there_is_one() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in (("pkg.a", "pkg.b"), ("pkg.b", "pkg.c"), ("pkg.c", "pkg.a"),
                               ("pkg.d", "pkg.a")):
        graph.add_import(importer=importer, imported=imported)
    cycle = import_cycle(graph)
    assert cycle is not None
    assert set(cycle) == {"pkg.a", "pkg.b", "pkg.c"}


def test_the_project_has_no_import_cycle(project_graph: grimp.ImportGraph) -> None:
    assert {"ticket_urgency_airflow.notify", "registry_tools.cli",
            "deploy.ab.cli"} <= project_graph.modules  # every package was analysed
    assert import_cycle(project_graph) is None


def test_the_import_contracts_are_kept() -> None:
    done = subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(DAGS)},
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout
