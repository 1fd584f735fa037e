"""How every command-line tool of the platform reports a failure: one line, credentials masked,
a documented exit code; and how a bad option or environment variable is named.

`ticket-urgency`, `registry-tools` (and its `ab` group), `local-stack`, `python -m
mlflow_project.monitoring` and `python -m mlflow_project.batch` all end through `fail` and run
under `run_cli`, so an error reads the same whichever tool printed it, and no URI with a password
in it (MLflow repeats tracking URIs in its errors) reaches a terminal. `run_cli` also makes the
files a command creates private to its owner and group (`contracts.file_modes`).
"""

from __future__ import annotations

import atexit
import gc
import sys
import traceback
from collections.abc import Callable
from typing import NoReturn

from pydantic import ValidationError

from contracts.file_modes import restrict_new_files
from contracts.redaction import redact
from contracts.settings import SettingsError

EXIT_SETTINGS = 2
EXIT_UNEXPECTED = 1

Explain = Callable[[BaseException], str | None]


def fail(message: str, code: int) -> NoReturn:
    """Print `message` as one `error: ...` line on stderr (credentials masked), then exit."""
    print(f"error: {redact(message)}", file=sys.stderr)
    raise SystemExit(code)


def option_errors(exc: ValidationError) -> str:
    """pydantic errors of a command's options as `--option: rule` (the options are named after
    the fields they fill), joined by "; "."""
    return "; ".join(
        f"--{str(error['loc'][0]).replace('_', '-')}: {error['msg']}" if error["loc"]
        else error["msg"] for error in exc.errors())


def help_text(docstring: str | None) -> str:
    """A module docstring as command help: each paragraph on one line, so the help formatter
    rewraps it to the terminal instead of keeping the source's line breaks."""
    paragraphs = (docstring or "").split("\n\n")
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)


def run_cli(app: Callable[..., object], *, explain: Explain | None = None,
            **kwargs: object) -> None:
    """Run a command-line app (a Typer app: `app(**kwargs)`) so that a bad environment variable
    (`SettingsError`) prints its message and exits 2, and any other exception it does not handle
    prints its traceback with credentials masked, exit 1, instead of the raw traceback (MLflow's
    errors repeat the tracking URI, password included). An exception `explain` recognizes (a
    dead dependency, say) is one `error:` line instead of a traceback, exit 1. Files the app
    creates are 0640 and folders 0750 (`restrict_new_files`).

    At exit, every object still alive is frozen out of the garbage collector (`gc.freeze`), so
    the interpreter's shutdown frees them by reference count without first tracing the few
    hundred thousand that MLflow, scikit-learn and pandas leave: 0.4-0.5 s off the end of every
    command that imported them (`bench/cli_exit.py`). Nothing else about shutdown changes:
    exit handlers run, files are flushed and closed, threads are waited for."""
    atexit.register(gc.freeze)
    restrict_new_files()
    try:
        app(**kwargs)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(EXIT_SETTINGS) from None
    except Exception as exc:  # the app's own errors exit through SystemExit, which passes
        explanation = explain(exc) if explain is not None else None
        if explanation:
            fail(explanation, EXIT_UNEXPECTED)
        print(redact(traceback.format_exc()), file=sys.stderr)
        raise SystemExit(EXIT_UNEXPECTED) from None
