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

It also bounds how long a dead tracking server can hold a command: MLflow's own defaults retry a
refused or unanswered request 7 times with exponential backoff and wait 120 s for each answer
(more than 200 s before `registry-tools promote` gives up). `use_tracking_store()` sets the
project's defaults below for every MLFLOW_HTTP_REQUEST_* variable the user left unset, so a
command fails in a few seconds (a refused connection), or about 11 s (a server that never
answers); `unreachable_server()` turns that failure into one line naming the server. A SQLite
store, the embedded one or one given in MLFLOW_TRACKING_URI, is created readable by its owner only
(0600), since it holds ticket text.

It refuses MLflow's own default store: `mlflow run` started in a shell without
MLFLOW_TRACKING_URI creates its run in `./mlflow.db` (artifacts in `./mlruns`) before the entry
point starts, and hands that store down in MLFLOW_TRACKING_URI; a model registered there is
invisible to `make status`, `make ui` and serving. A local store named `mlflow.db` or `mlruns`
in the working directory, or anywhere in the project home outside `.mlflow/`, is such a store:
the command exits 2 with one line saying how to use the platform's (`make install` makes
`source .venv/bin/activate` export it).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import MaxRetryError

from contracts.cli import EXIT_SETTINGS, fail
from contracts.redaction import redact

TRACKING_URI_VARIABLE = "MLFLOW_TRACKING_URI"
HOME_VARIABLE = "TU_HOME"
CHECKOUT_MARKERS = ("pyproject.toml", "Makefile")
STORE_FOLDER_MODE = 0o700
STORE_FILE_MODE = 0o600
STORE_FOLDER = ".mlflow"
MLFLOW_DEFAULT_NAMES = ("mlflow.db", "mlruns")  # MLflow's own default store, file and folder
# MLflow's HTTP client settings, the project's defaults (a user's own values win): 3 attempts,
# 0 s then 2 s (+ up to 0.5 s jitter) apart, each waiting at most 3 s for the server.
HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.5",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "3",
}


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
    return f"sqlite:///{home / STORE_FOLDER / 'mlflow.db'}"


def use_tracking_store() -> str | None:
    """Default MLFLOW_TRACKING_URI to the project's embedded store when unset; report the store.

    Returns the effective URI (None when nothing is set and there is no project home, so MLflow's
    own default applies). A SQLite store's folder and file are created private (0700/0600) when
    missing, since SQLite cannot create the folder and would create the file with the umask.
    MLflow's own default store (module doc) is refused: one line on stderr, exit 2. The one-line
    report goes to stderr, leaving stdout to the command's output.
    """
    apply_http_defaults()
    given = os.environ.get(TRACKING_URI_VARIABLE)
    home = project_home()
    if given:
        refuse_mlflow_default_store(given, home)
        database = sqlite_database(given)
        if database is not None:
            create_private_store(database)
        _say(f"tracking store: {redact(given)} (from {TRACKING_URI_VARIABLE})")
        return given
    if home is None:
        _say(f"tracking store: MLflow's default (sqlite:///mlflow.db in the current directory): "
             f"{TRACKING_URI_VARIABLE} and {HOME_VARIABLE} are unset and this is not a project "
             "checkout")
        return None
    create_private_store(home / STORE_FOLDER / "mlflow.db")
    uri = default_tracking_uri(home)
    os.environ[TRACKING_URI_VARIABLE] = uri
    _say(f"tracking store: {uri} (the project's embedded store; set {TRACKING_URI_VARIABLE} "
         "to use another)")
    return uri


def refuse_mlflow_default_store(uri: str, home: Path | None) -> None:
    """Exit 2 with a one-line fix when `uri` is MLflow's own default store (module doc): a local
    `mlflow.db` or `mlruns` in the working directory or in the project home outside `.mlflow/`."""
    path = local_store_path(uri)
    if path is None or path.name not in MLFLOW_DEFAULT_NAMES:
        return
    in_checkout = home is not None and path.is_relative_to(home) and not path.is_relative_to(
        home / STORE_FOLDER)
    if path.parent != Path.cwd().resolve() and not in_checkout:
        return
    platform_store = default_tracking_uri(home) if home is not None else "the platform's store"
    fail(f"{TRACKING_URI_VARIABLE}={redact(uri)} is MLflow's default store, which the platform "
         f"does not use (make status, make ui and serving would not see it); run `source "
         f".venv/bin/activate` in the checkout (make install sets it there) or `export "
         f"{TRACKING_URI_VARIABLE}={platform_store}`, and delete {path}", EXIT_SETTINGS)


def local_store_path(uri: str) -> Path | None:
    """The absolute path of a local store (`sqlite:///`, `file:` or a plain path), else None."""
    database = sqlite_database(uri)
    if database is not None:
        return database
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Path(parts.path).resolve()
    if parts.scheme == "" and uri:
        return Path(uri).expanduser().resolve()
    return None


def sqlite_database(uri: str) -> Path | None:
    """The database file of a `sqlite:///` URI (absolute, or relative to the working
    directory), else None (another scheme, or SQLite in memory)."""
    if not uri.startswith("sqlite:///"):
        return None
    path = uri.removeprefix("sqlite:///").split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path).resolve()


def apply_http_defaults() -> None:
    """Set each of MLflow's HTTP retry/timeout variables the user left unset to the project's
    default (`HTTP_DEFAULTS`), so a dead tracking server fails a command within seconds; the
    variables reach every process the command starts (`mlflow run` steps, Airflow tasks).
    urllib3's warning per retried attempt is silenced: the retries are bounded, and a server that
    stays down is reported once, in one line (`unreachable_server`)."""
    for variable, value in HTTP_DEFAULTS.items():
        os.environ.setdefault(variable, value)
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)


def create_private_store(database: Path) -> None:
    """Create the embedded store's folder (0700) and an empty SQLite file (0600) when missing.

    SQLite cannot create the folder, and would create the file with the process umask (often
    0644); the store holds ticket text. An existing folder or file keeps its mode.
    """
    database.parent.mkdir(mode=STORE_FOLDER_MODE, parents=True, exist_ok=True)
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, STORE_FILE_MODE))
    except FileExistsError:
        return
    os.chmod(database, STORE_FILE_MODE)


def unreachable_server(exc: BaseException) -> str | None:
    """`tracking server URL unreachable (why)` when `exc` (or an exception it was raised from or
    during) is a refused, failed or timed-out HTTP connection, else None.

    MLflow wraps the `requests` error of its last retry in an MlflowException; the server is
    named by the failed request's scheme, host and port (no path, no credentials).
    """
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
            return f"tracking server {_origin(current)} unreachable ({_reason(current)})"
        current = current.__cause__ or current.__context__
    return None


def _origin(exc: requests.exceptions.RequestException) -> str:
    """scheme://host:port of the failed request (the tracking URI when it has none), any
    credentials in it masked."""
    url = exc.request.url if exc.request is not None else None
    if isinstance(url, bytes):
        url = url.decode()
    parts = urlsplit(url or os.environ.get(TRACKING_URI_VARIABLE, ""))
    return redact(f"{parts.scheme}://{parts.netloc}")


def _reason(exc: requests.exceptions.RequestException) -> str:
    """The innermost cause in a few words: `[Errno 111] Connection refused`, `no answer within
    3 s`."""
    if isinstance(exc, requests.exceptions.Timeout):
        return f"no answer within {os.environ.get('MLFLOW_HTTP_REQUEST_TIMEOUT', '?')} s"
    cause = exc.args[0] if exc.args else exc
    if isinstance(cause, MaxRetryError) and cause.reason is not None:
        cause = cause.reason
    return str(cause).rsplit(": ", 1)[-1]


def _say(message: str) -> None:
    print(message, file=sys.stderr)
