"""Load the model once, know exactly which registry version it is, and retry until it loads.

`MODEL_URI` may be:
- `models:/NAME@ALIAS`: the alias is resolved to a version once, and that version
  (`models:/NAME/VERSION`) is what loads, so a concurrent alias move cannot mix two versions;
- `models:/NAME/VERSION`;
- a local folder holding a downloaded model (a model baked into the image), with a
  `registry.json` beside its `MLmodel` saying which name, version, run and alias it came from
  (`serving/bake_model.py` writes it); without one, name and version are reported as null;
- any other URI MLflow loads (`runs:/...`, `gs://...`), reported as is.

Under gunicorn, a `models:/` URI is resolved and downloaded by a helper process the master starts
(`serving.prefetch`), and a worker's first attempt loads what it fetched (`load_folder`); retries
and every other caller use `load`.

After a successful load nothing here touches the registry again: a registry outage after start-up
does not affect a running server.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol, cast

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from contracts.model_uri import parse_model_uri, version_uri
from contracts.redaction import redact
from contracts.requirements_check import warn_unmet_requirements
from serving.model_folder import load_without_mlflow

log = logging.getLogger(__name__)

REGISTRY_RECORD = "registry.json"
RUN_URI = re.compile(r"^runs:/(?P<run_id>[^/]+)/")
WARM_UP_TICKET: Mapping[str, object] = {
    "title": "Checkout down", "description": "Payments fail for all customers",
    "source": "phone", "customer_tier": "premium"}


class ExplainedTerm(Protocol):
    """A term and its contribution to the score, as the model's `explain` returns it."""

    @property
    def term(self) -> str: ...

    @property
    def weight(self) -> float: ...


class UrgencyModel(Protocol):
    """What serving needs of the unwrapped pyfunc model (`TicketUrgencyModel`)."""

    @property
    def threshold(self) -> float: ...

    def predict_records(self, tickets: Sequence[Mapping[str, object]]
                        ) -> tuple[np.ndarray, np.ndarray]: ...

    def explain(self, ticket: Mapping[str, object], top: int = 5) -> Sequence[ExplainedTerm]: ...


class RegistryRecord(BaseModel):
    """`registry.json`: where a model folder baked into an image came from."""

    model_config = ConfigDict(frozen=True, protected_namespaces=())

    name: str = Field(min_length=1)
    version: str = Field(pattern=r"^\d+$")
    run_id: str | None = None
    alias: str | None = None
    source_uri: str | None = Field(default=None, description="the URI it was downloaded from")
    downloaded_at: str | None = None


@dataclass(frozen=True)
class ModelIdentity:
    """Which model a URI stands for: registry name and version where known."""

    model_uri: str
    resolved_uri: str
    name: str | None = None
    version: str | None = None
    run_id: str | None = None
    alias: str | None = None
    source: Literal["registry", "registry.json", "uri"] = "uri"


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to score, with its identity and when it was loaded."""

    identity: ModelIdentity
    model: UrgencyModel
    threshold: float
    loaded_at: datetime
    load_seconds: float


class ModelLoadError(RuntimeError):
    """The model at a URI cannot be resolved, loaded or used to score."""


def resolve(model_uri: str) -> ModelIdentity:
    """Resolve `model_uri` to the exact model to load (an alias becomes a version)."""
    reference = parse_model_uri(model_uri)
    if reference is not None:
        from mlflow import MlflowClient

        client = MlflowClient()
        version = (client.get_model_version_by_alias(reference.name, reference.alias)
                   if reference.alias is not None
                   else client.get_model_version(reference.name, str(reference.version)))
        return ModelIdentity(model_uri, version_uri(reference.name, version.version),
                             reference.name, str(version.version), version.run_id,
                             reference.alias, "registry")
    record = read_registry_record(model_uri)
    if record is not None:
        return ModelIdentity(model_uri, model_uri, record.name, record.version, record.run_id,
                             record.alias, "registry.json")
    run = RUN_URI.match(model_uri)
    return ModelIdentity(model_uri, model_uri, run_id=run["run_id"] if run else None)


def read_registry_record(model_uri: str) -> RegistryRecord | None:
    """The `registry.json` of a local model folder, or None when there is none."""
    folder = Path(model_uri.removeprefix("file://"))
    path = folder / REGISTRY_RECORD
    if not path.is_file():
        return None
    return RegistryRecord.model_validate_json(path.read_bytes())


def load(model_uri: str) -> LoadedModel:
    """Resolve, load and warm up the model; raise `ModelLoadError` saying why it cannot.

    A local folder of this project's model loads without importing MLflow
    (`serving.model_folder`); MLflow resolves `models:/` URIs, downloads what is not local and
    loads any other model.
    """
    started = time.perf_counter()
    with load_errors():
        identity = resolve(model_uri)
        folder = local_folder(identity.resolved_uri)
    return load_folder(identity, folder, started)


def load_folder(identity: ModelIdentity, folder: Path, started: float) -> LoadedModel:
    """Load and warm up the model in a local `folder` known to be `identity` (`started`: when
    loading began, by `time.perf_counter`, for `load_seconds`)."""
    with load_errors():
        warn_unmet_requirements(folder, log)
        model = load_without_mlflow(folder)
        if model is None:
            model = _load_with_mlflow(folder)
    usable = _as_urgency_model(model)
    return LoadedModel(identity, usable, float(usable.threshold), datetime.now(UTC),
                       time.perf_counter() - started)


@contextmanager
def load_errors() -> Iterator[None]:
    """Unreadable files and MLflow's errors become `ModelLoadError`s saying why."""
    try:
        yield
    except (OSError, ValueError, KeyError, yaml.YAMLError) as exc:  # unreadable folder or files
        raise ModelLoadError(f"{type(exc).__name__}: {exc}") from exc
    except Exception as exc:
        message = _mlflow_error_message(exc)
        if message is None:
            raise
        raise ModelLoadError(message) from exc


def failure_reason(exc: Exception) -> str:
    """Why a load failed, as the server reports it: `CODE: message` of an MLflow error, else
    the exception's type and text."""
    return _mlflow_error_message(exc) or f"{type(exc).__name__}: {exc}"


def local_folder(model_uri: str) -> Path:
    """The local folder holding the model: the URI itself when it is one, else MLflow's
    download of it."""
    folder = Path(model_uri.removeprefix("file://"))
    if folder.is_dir():
        return folder
    import mlflow.artifacts

    return Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri))


def _load_with_mlflow(folder: Path) -> object:
    import mlflow.pyfunc

    return mlflow.pyfunc.load_model(str(folder), suppress_warnings=True).unwrap_python_model()


def _mlflow_error_message(exc: Exception) -> str | None:
    """`CODE: message` of an MLflow error, else None (checked without importing MLflow: while
    it is not imported, no error can be MLflow's)."""
    exceptions = sys.modules.get("mlflow.exceptions")
    if exceptions is None or not isinstance(exc, exceptions.MlflowException):
        return None
    return f"{getattr(exc, 'error_code', '')}: {getattr(exc, 'message', exc)}"


def _as_urgency_model(model: object) -> UrgencyModel:
    """A model is usable only if it is a ticket-urgency model that scores a ticket."""
    missing = [name for name in ("predict_records", "explain", "threshold")
               if not hasattr(model, name)]
    if missing:
        raise ModelLoadError(f"{type(model).__name__} is not a ticket-urgency model "
                             f"(no {', '.join(missing)})")
    usable = cast(UrgencyModel, model)
    probabilities, _ = usable.predict_records([WARM_UP_TICKET])
    if not 0.0 <= float(probabilities[0]) <= 1.0:
        raise ModelLoadError(f"the model scored {probabilities[0]!r}, not a probability")
    return usable


class ModelHolder:
    """Holds the served model: loads it at start-up, retries in the background until it loads.

    Loading runs in a daemon thread; `start` waits for the first attempt, but at most
    `wait_seconds`, so in the normal case the worker accepts requests with the model already
    loaded, while a registry that hangs cannot keep the worker from answering `/health`. A failed
    attempt leaves the process up and not ready (so Cloud Run does not crash-loop it) and logs
    which URI failed and why; the thread retries every `retry_seconds` and stops after the first
    success, because one server serves one model version for its whole life. The URI and every
    reason are reported with credentials masked (`contracts.redaction.redact`): `/ready` is
    unauthenticated. With `first_attempt` (the load of what the master's start-up helper
    fetched, `serving.prefetch`), only the retries call `loader`.
    """

    def __init__(self, model_uri: str, retry_seconds: float,
                 loader: Callable[[str], LoadedModel] = load,
                 on_loaded: Callable[[LoadedModel], None] | None = None,
                 on_failure: Callable[[], None] | None = None,
                 first_attempt: Callable[[], LoadedModel] | None = None) -> None:
        self.model_uri = model_uri
        self.shown_uri = redact(model_uri)
        self.retry_seconds = retry_seconds
        self._loader = loader
        self._on_loaded = on_loaded
        self._on_failure = on_failure
        self._first_attempt_loader = first_attempt
        self._current: LoadedModel | None = None
        self._reason = f"still loading {self.shown_uri}"
        self._stop = threading.Event()
        self._first_attempt = threading.Event()

    @property
    def current(self) -> LoadedModel | None:
        """The loaded model, or None while there is none."""
        return self._current

    @property
    def reason(self) -> str:
        """Why there is no model (meaningful only while `current` is None)."""
        return self._reason

    def start(self, wait_seconds: float) -> None:
        """Start loading; return after the first attempt, or after `wait_seconds` at most."""
        threading.Thread(target=self._load_until_loaded, name="model-loader", daemon=True).start()
        if not self._first_attempt.wait(wait_seconds):
            log.warning("model still loading from %s after %gs: /ready answers 503 until it "
                        "loads", self.shown_uri, wait_seconds,
                        extra={"model_uri": self.shown_uri})

    def stop(self) -> None:
        """Stop retrying (on shutdown)."""
        self._stop.set()

    def _load_until_loaded(self) -> None:
        loaded = self._try_load()
        self._first_attempt.set()
        while not loaded and not self._stop.wait(self.retry_seconds):
            loaded = self._try_load()

    def _try_load(self) -> bool:
        first, self._first_attempt_loader = self._first_attempt_loader, None
        try:
            loaded = first() if first is not None else self._loader(self.model_uri)
        except Exception as exc:  # any failure must leave the process alive and retrying
            self._reason = redact(f"cannot load {self.shown_uri}: {_one_line(exc)}")
            log.error("model not loaded: %s; retrying every %gs", self._reason,
                      self.retry_seconds, extra={"model_uri": self.shown_uri})
            if self._on_failure:
                self._on_failure()
            return False
        self._current = loaded
        identity = loaded.identity
        log.info("model loaded: %s (name=%s version=%s run_id=%s alias=%s) in %.2fs",
                 redact(identity.resolved_uri), identity.name, identity.version, identity.run_id,
                 identity.alias, loaded.load_seconds, extra={"model_uri": self.shown_uri})
        if self._on_loaded:
            self._on_loaded(loaded)
        return True


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if isinstance(exc, ModelLoadError) else f"{type(exc).__name__}: {text}"


def describe(loaded: LoadedModel) -> dict[str, object]:
    """The identity fields of a loaded model, as /metadata and the logs report them (URIs
    without credentials: /metadata is unauthenticated)."""
    identity = loaded.identity
    return {"model_name": identity.name, "model_version": identity.version,
            "run_id": identity.run_id, "model_uri": redact(identity.model_uri),
            "alias": identity.alias, "resolved_uri": redact(identity.resolved_uri),
            "source": identity.source, "loaded_at": loaded.loaded_at.isoformat(),
            "load_seconds": round(loaded.load_seconds, 3), "threshold": loaded.threshold}
