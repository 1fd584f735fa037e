"""The edge: run the reads, plan, run the writes, and again until nothing is left to do.

A round reads every resource, plans against what it read, writes the rendered definition files
the plan needs and runs its commands in order, stopping at the first failure. The next round
reads again: the sink's writer identity, known once the sink exists, gets its grant on the
dataset there, and the last round checks that nothing differs any more. A run against a project
where everything is in place is one round of reads.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from deploy.cloudrun.telemetry.definitions import Definitions
from deploy.cloudrun.telemetry.plan import Plan, plan
from deploy.cloudrun.telemetry.settings import Target
from deploy.cloudrun.telemetry.state import CommandFailed, Result, StateError, observed, reads

MAX_ROUNDS = 3  # create, grant to the writer identity that creating revealed, check

Runner = Callable[[Sequence[str]], Result]
Say = Callable[[str], None]


class NotConverged(StateError):
    """The resources still differ from their definitions after the writes meant to fix that."""


def subprocess_runner(cwd: Path) -> Runner:
    """Run a command in `cwd`, capturing what it prints."""

    def run(argv: Sequence[str]) -> Result:
        done = subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, check=False)
        return Result(done.returncode, done.stdout, done.stderr)

    return run


def converge(definitions: Definitions, target: Target, out: str, *, run: Runner, root: Path,
             say: Say) -> int:
    """Make the project match the definitions; the number of writes it took (0: all in place).

    `out` is where the rendered definition files go (relative to `root`, the commands' working
    directory); `say` hears every command before it runs.
    """
    applied, attempt = 0, 0
    while True:
        attempt += 1
        results = {}
        for read in reads(definitions, target):
            say("+ " + shlex.join(read.argv))
            results[read] = run(read.argv)
        current = plan(definitions, target, observed(results), out)
        if not current.writes:
            return applied
        if attempt == MAX_ROUNDS:
            raise NotConverged(
                "still differing after the writes that should have fixed it (the API returns "
                "these fields otherwise than the definition files say them: align the files with "
                "what describe/list prints): " + "; ".join(w.reason for w in current.writes))
        applied += _write(current, run=run, root=root, say=say)


def _write(current: Plan, *, run: Runner, root: Path, say: Say) -> int:
    for write in current.writes:
        for name, content in write.files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        say(f"# {write.reason}")
        say("+ " + shlex.join(write.argv))
        result = run(write.argv)
        if result.returncode != 0:
            raise CommandFailed(write.argv, result)
    return len(current.writes)
