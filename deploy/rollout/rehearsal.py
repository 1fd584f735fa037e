"""`make rollout-rehearsal`: the production rollout code, run against the local A/B rehearsal.

In a run folder and SQLite store of its own (temporary unless given), it registers three versions
of one demo fit: v1 `@production`, v2 healthy, v3 deliberately broken (`demo.flaky`: 500 for
every `email` ticket, yet it passes the smoke test). It serves v1 behind nginx, keeps a bounded
client load on the router the whole time, then runs `deploy.rollout.runner` (what `make deploy`
runs on Cloud Run) twice: v2 must reach 100 %, v3 must be rolled back to v2 by its watch. Every
answer is attributed to the model version that gave it (nginx's `X-AB-Revision` header); exit 0
only when both outcomes happened and no request answered by any version but the broken one
failed (a request with no answer at all counts against the previous versions).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from pydantic import ValidationError

from contracts.cli import EXIT_SETTINGS, fail
from contracts.settings import ModelSettings, SettingsError, describe_errors
from contracts.traffic import PlanError
from deploy.cloudrun import naming
from deploy.cloudrun.settings import CloudRunSettings
from deploy.local.ab.nginx import NginxError
from deploy.local.ab.servers import free_port
from deploy.local.ab.settings import AbSettings
from deploy.local.ab.target import LocalTarget
from deploy.local.processes import StackError
from deploy.rollout import runner
from deploy.rollout.observers import AccessLogObserver
from deploy.rollout.settings import RolloutSettings
from deploy.rollout.smoke import SmokeFailed, SmokeTest

EXPERIMENT = "rollout-rehearsal"
BROKEN_SOURCE = "email"
LOAD_TICKETS = tuple(
    {"title": title, "description": "Reported by a customer this morning.", "source": source,
     "customer_tier": tier}
    for title, source, tier in (("Checkout down for all customers", "phone", "premium"),
                                ("Invoice shows the wrong amount", BROKEN_SOURCE, "standard"),
                                ("Password reset mail never arrives", "web", "standard"),
                                ("Payments fail since 9:00", BROKEN_SOURCE, "premium"),
                                ("Request for a second monitor", "chat", "standard")))
UNANSWERED = "none"  # the version of a request that got no HTTP answer


@dataclass
class Load:
    """The answers the clients saw: (answering model version, succeeded) -> count."""

    answers: Counter[tuple[str, bool]] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def failures_except(self, version: str) -> int:
        """Failed requests answered by any version but `version` (or not answered at all)."""
        return sum(n for (answered, ok), n in self.answers.items()
                   if not ok and answered != version)


@contextmanager
def client_load(url: str, api_key: str, service: str, clients: int,
                pause: float) -> Iterator[Load]:
    """`clients` threads posting tickets to `url` (each at most one request per `pause` s)
    until the block ends."""
    load, stop = Load(), threading.Event()

    def send() -> None:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {api_key}"
            number = 0
            while not stop.is_set():
                ticket = LOAD_TICKETS[number % len(LOAD_TICKETS)]
                number += 1
                try:
                    answer = session.post(f"{url}/predict", json=ticket, timeout=10)
                    version = naming.version_of(service, answer.headers.get(
                        "X-AB-Revision", "")) or UNANSWERED
                    outcome = (version, answer.status_code == 200)
                except requests.RequestException:
                    outcome = (UNANSWERED, False)
                with load.lock:
                    load.answers[outcome] += 1
                stop.wait(pause)

    threads = [threading.Thread(target=send, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        yield load
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=15)


def register_versions(tracking_uri: str) -> tuple[str, str, str]:
    """v1 (@production), v2 (healthy) and v3 (broken for `email` tickets) of one demo fit."""
    import mlflow

    from demo.flaky import register_flaky
    from demo.model import fit_demo_pipeline, register_fitted

    mlflow.set_tracking_uri(tracking_uri)
    fitted = fit_demo_pipeline(rows=2000, seed=11, min_df=1)
    production = register_fitted(fitted, EXPERIMENT).version
    healthy = register_fitted(fitted, EXPERIMENT, alias=None).version
    broken = register_flaky(fitted, EXPERIMENT, [BROKEN_SOURCE]).version
    return production, healthy, broken


def attempt(rollout: runner.Rollout, target: LocalTarget, smoke: SmokeTest,
            echo: Callable[[str], None]) -> str:
    """Run one rollout; its outcome: `done`, `rolled back` or `refused`."""
    try:
        runner.run(rollout, target, AccessLogObserver(target.access_log()), smoke, echo=echo)
    except runner.RolledBack as exc:
        echo(f"rolled back: {exc}")
        return "rolled back"
    except (SmokeFailed, PlanError) as exc:
        echo(f"refused: {exc}")
        return "refused"
    return "done"


def rehearse(run_dir: Path, tracking_uri: str, settings: RolloutSettings, clients: int,
             echo: Callable[[str], None]) -> bool:
    """The whole rehearsal; True when both outcomes happened as expected and no request
    answered by a version other than the broken one failed."""
    api_key = secrets.token_urlsafe(24)
    os.environ["API_KEYS"] = api_key  # the servers the target starts inherit it
    production, healthy, broken = register_versions(tracking_uri)
    echo(f"registered v{production} (@production), v{healthy} (healthy), v{broken} (fails "
         f"{BROKEN_SOURCE} tickets, passes the smoke test) in {tracking_uri}")
    service = CloudRunSettings.load().service
    target = LocalTarget(AbSettings(run_dir=run_dir / "ab", proxy_port=free_port()),
                         service=service, model_name=ModelSettings.load().model_name,
                         tracking_uri=tracking_uri)
    smoke = SmokeTest(api_key=api_key, timeout=settings.smoke_timeout_seconds)
    try:
        target.up(production)
        url = target.endpoint(None).url
        echo(f"{target.description}: v{production} serves; {clients} clients keep sending")
        with client_load(url, api_key, service, clients, pause=0.02) as load:
            time.sleep(1)
            outcomes = {version: attempt(runner.Rollout(
                version=version, steps=settings.steps, window_seconds=settings.window_seconds,
                thresholds=settings.thresholds), target, smoke, echo)
                for version in (healthy, broken)}
            time.sleep(1)
        final = target.snapshot().serving()
    finally:
        target.down()
    return report(load, outcomes, final, expected={healthy: "done", broken: "rolled back"},
                  serving=naming.revision_name(service, healthy), broken=broken, echo=echo)


def report(load: Load, outcomes: dict[str, str], final: dict[str, int],
           expected: dict[str, str], *, serving: str, broken: str,
           echo: Callable[[str], None]) -> bool:
    """Print the figures and each check; True when every check holds."""
    echo("answers seen by the clients (model version: succeeded / failed):")
    for version in sorted({v for v, _ in load.answers}):
        echo(f"  v{version}: {load.answers[(version, True)]} / {load.answers[(version, False)]}")
    checks = [(f"v{v} {outcome}", outcomes.get(v) == outcome) for v, outcome in expected.items()]
    checks.append((f"{serving} serves 100% at the end", final == {serving: 100}))
    checks.append((f"no failed request outside v{broken} "
                   f"({load.failures_except(broken)} seen)", load.failures_except(broken) == 0))
    for name, held in checks:
        echo(f"{'ok  ' if held else 'FAIL'} {name}")
    return all(held for _, held in checks)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m deploy.rollout.rehearsal",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir", type=Path,
                        help="keep the rehearsal here (default: a temporary folder, removed)")
    parser.add_argument("--tracking-uri", help="store to register the three versions in "
                        "(default: a SQLite store in the run folder)")
    parser.add_argument("--window-seconds", type=float, default=4.0,
                        help="watch of each step (default: %(default)s)")
    parser.add_argument("--min-requests", type=int, default=5,
                        help="fewest requests a watch judges (default: %(default)s)")
    parser.add_argument("--clients", type=int, default=3,
                        help="concurrent clients of the router (default: %(default)s)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the rehearsal; 0 when it held, 1 when it did not (or nginx or a server failed to
    start), 2 on bad settings."""
    args = _parse(argv)
    try:
        settings = RolloutSettings(window_seconds=args.window_seconds,
                                   min_requests=args.min_requests)
    except ValidationError as exc:
        fail(describe_errors(exc, RolloutSettings), EXIT_SETTINGS)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    run_dir = args.run_dir or Path(tempfile.mkdtemp(prefix="rollout-rehearsal-"))
    try:
        tracking_uri = args.tracking_uri or f"sqlite:///{run_dir.resolve() / 'mlflow.db'}"
        held = rehearse(run_dir, tracking_uri, settings, args.clients,
                        echo=lambda line: print(line, flush=True))
    except SettingsError as exc:
        fail(str(exc), EXIT_SETTINGS)
    except (StackError, NginxError) as exc:
        fail(str(exc), 1)
    finally:
        if args.run_dir is None:
            shutil.rmtree(run_dir, ignore_errors=True)
    print("rehearsal passed" if held else "rehearsal FAILED", flush=True)
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
