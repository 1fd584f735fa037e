"""The `registry-tools` console script: the registry commands (`registry_tools.cli`) and `ab`.

`ab` drives deploy targets (Cloud Run, the local rehearsal), so it lives in `deploy`; the two
meet here, above both, and `registry_tools` never imports `deploy`.
"""

from __future__ import annotations

from contracts.cli import run_cli
from deploy.ab.cli import app as ab_app
from mlflow_project.tracking_store import unreachable_server
from registry_tools.cli import build_app

app = build_app(ab=ab_app)


def main() -> None:
    """The console script: the app, with credentials masked in any unexpected traceback."""
    run_cli(app, explain=unreachable_server)
