"""`make deploy-telemetry` (and the first step of `make deploy`): set up, or print, the telemetry.

    python -m deploy.cloudrun.telemetry [--dry-run] [--definitions DIR] [--out DIR]

Creates what is missing and updates what differs, idempotently: the BigQuery dataset of the
prediction records, the log sink routing them there (and the sink's grant on the dataset), the
log-based metrics, the alert policies and the dashboard of `definitions/`. A second run changes
nothing. `--dry-run` prints every command, reads and writes, and runs none: the writes are those
of a first run (a real run plans from what its reads return).

Settings: `CLOUD_RUN_PROJECT`, `CLOUD_RUN_REGION`, `CLOUD_RUN_SERVICE` (deploy.cloudrun.settings)
and `TELEMETRY_*` (deploy.cloudrun.telemetry.settings). Needs `gcloud` and `bq` (Google Cloud
SDK) for a real run, with the IAM roles listed in deploy/README.md ("Telemetry").

Exit codes: 0 done (or printed); 1 a gcloud/bq command failed (the message names it and its last
line of output) or the resources still differ after the writes; 2 refused before running
anything (a bad setting or definition file, gcloud or bq not installed).
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from contracts.settings import SettingsError
from deploy.cloudrun.settings import CloudRunSettings
from deploy.cloudrun.telemetry.definitions import DEFINITIONS, DefinitionError, Definitions, load
from deploy.cloudrun.telemetry.executor import converge, subprocess_runner
from deploy.cloudrun.telemetry.plan import plan
from deploy.cloudrun.telemetry.settings import Target, TelemetrySettings
from deploy.cloudrun.telemetry.state import Observed, StateError, reads

REPO = Path(__file__).resolve().parents[3]
OUT = REPO / "build" / "telemetry"
EXIT_FAILED, EXIT_REFUSED = 1, 2


def dry_run_text(definitions: Definitions, target: Target, out: str) -> str:
    """Every command a first run issues, in order, each write under the reason for it."""
    first = plan(definitions, target, Observed.nothing(definitions), out)
    lines = [f"# telemetry of Cloud Run service {target.service} (project {target.project}): "
             f"{len(definitions.metrics)} log-based metrics, {len(definitions.policies)} alert "
             f"policies, a dashboard, and log sink {definitions.sink.key} to BigQuery dataset "
             f"{target.dataset_ref}",
             "# reads, run first (and again after any write, until nothing differs):",
             *(shlex.join(read.argv) for read in reads(definitions, target)),
             "# writes of a first run (a real run plans from what the reads return: nothing for "
             "what is in place, an update for what differs; it writes the rendered definition "
             f"files to {out}/ first):"]
    for write in first.writes:
        lines += [f"# {write.reason}", shlex.join(write.argv)]
    lines.append("# then, read again and planned once the dataset and the sink exist:")
    for write in first.deferred:
        lines += [f"# {write.reason}", shlex.join(write.argv)]
    return "\n".join(lines)


def _shown(path: Path) -> str:
    """A path as the commands name it: relative to the repository when inside it."""
    resolved = path.resolve()
    return resolved.relative_to(REPO).as_posix() if resolved.is_relative_to(REPO) else str(resolved)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m deploy.cloudrun.telemetry",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", help="print every command, run none")
    parser.add_argument("--definitions", type=Path, default=DEFINITIONS,
                        help="folder of the definition files (default: the package's)")
    parser.add_argument("--out", type=Path, default=OUT,
                        help="where rendered definitions are written (default: build/telemetry)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Set up (or print) the telemetry; see the module docstring for the exit codes."""
    args = _parse(argv)
    out = _shown(args.out)
    try:
        target = Target.from_settings(CloudRunSettings.load(), TelemetrySettings.load())
        definitions = load(target.template_values(), args.definitions)
        first_run = dry_run_text(definitions, target, out)  # plans: refuses what gcloud can't do
        if args.dry_run:
            print(first_run)
            return 0
        missing = [tool for tool in ("gcloud", "bq") if shutil.which(tool) is None]
        if missing:
            raise DefinitionError(f"{' and '.join(missing)} not installed: the Google Cloud SDK "
                                  "(https://cloud.google.com/sdk) has both")
    except (SettingsError, DefinitionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    try:
        applied = converge(definitions, target, out, run=subprocess_runner(REPO), root=REPO,
                           say=lambda line: print(line, flush=True))
    except StateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"telemetry: {applied} change(s) applied; everything matches its definition"
          if applied else "telemetry: everything already matches its definition")
    return 0
