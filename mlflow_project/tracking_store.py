"""Which MLflow tracking store the project's commands use, said out loud.

Run outside `make` with MLFLOW_TRACKING_URI unset, MLflow would create `./mlflow.db` in whatever
directory the command runs from, and the registry tools would report "no versions" from that empty
store. Every CLI entry point calls `use_tracking_store()` first instead: an unset
MLFLOW_TRACKING_URI defaults to the project's embedded store, the same one the Makefile uses,
`sqlite:///<project home>/.mlflow/mlflow.db`, and one line on stderr names the store in use
(credentials in the URI redacted).

The project home is TU_HOME when set, else the checkout the package runs from (an editable
install: the folder holding `pyproject.toml` and the `Makefile`). An installed copy outside a
checkout, with neither variable set, leaves MLflow's own default and says so.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from contracts.redaction import redact

TRACKING_URI_VARIABLE = "MLFLOW_TRACKING_URI"
HOME_VARIABLE = "TU_HOME"
CHECKOUT_MARKERS = ("pyproject.toml", "Makefile")


def project_home() -> Path | None:
    """TU_HOME if set, else the checkout this package is installed from, else None."""
    if os.environ.get(HOME_VARIABLE):
        return Path(os.environ[HOME_VARIABLE]).expanduser().resolve()
    checkout = Path(__file__).resolve().parents[1]
    if all((checkout / marker).is_file() for marker in CHECKOUT_MARKERS):
        return checkout
    return None


def default_tracking_uri(home: Path) -> str:
    """The embedded store of a project home (the Makefile's default)."""
    return f"sqlite:///{home / '.mlflow' / 'mlflow.db'}"


def use_tracking_store() -> str | None:
    """Default MLFLOW_TRACKING_URI to the project's embedded store when unset; report the store.

    Returns the effective URI (None when nothing is set and there is no project home, so MLflow's
    own default applies). The `.mlflow` folder is created for the default store, since SQLite
    cannot create it. The one-line report goes to stderr, leaving stdout to the command's output.
    """
    given = os.environ.get(TRACKING_URI_VARIABLE)
    if given:
        _say(f"tracking store: {redact(given)} (from {TRACKING_URI_VARIABLE})")
        return given
    home = project_home()
    if home is None:
        _say(f"tracking store: MLflow's default (sqlite:///mlflow.db in the current directory): "
             f"{TRACKING_URI_VARIABLE} and {HOME_VARIABLE} are unset and this is not a project "
             "checkout")
        return None
    (home / ".mlflow").mkdir(parents=True, exist_ok=True)
    uri = default_tracking_uri(home)
    os.environ[TRACKING_URI_VARIABLE] = uri
    _say(f"tracking store: {uri} (the project's embedded store; set {TRACKING_URI_VARIABLE} "
         "to use another)")
    return uri


def _say(message: str) -> None:
    print(message, file=sys.stderr)
