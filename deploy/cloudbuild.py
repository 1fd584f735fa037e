"""`make deploy`: submit cloudbuild.yaml to Cloud Build, or print what that would run.

    python -m deploy.cloudbuild [--dry-run] [--model-version N | --model-alias ALIAS]
                              [--traffic all|none|1-99] [--git-sha SHA] [--branch NAME]

The substitutions come from one place: cloudbuild.yaml's defaults, overridden by the same
`CLOUD_RUN_*` variables `registry-tools ab` reads (`deploy.cloudrun.settings`; with
`CLOUD_RUN_BUILD_SERVICE_ACCOUNT`, the account the build runs as), by
`MLFLOW_TRACKING_URI`, and by the options above. Every substitution is passed explicitly, so the
printed command is the whole truth. `--dry-run` prints that `gcloud builds submit` command and then
every step of cloudbuild.yaml with the substitutions applied exactly as Cloud Build applies them
(`$$` is a literal `$`; `$_NAME`/`${_NAME}` are substitutions; `$BUILD_ID` and friends are filled
in by Cloud Build), then, for `--traffic all`, the rollout plan of the `rollout` step
(`deploy.rollout`: smoke test, watched traffic steps, rollback). Git commit and branch default
to the checkout's (`git rev-parse`).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from contracts.model_uri import PRODUCTION, alias_uri, version_uri
from contracts.settings import ModelSettings
from deploy.cloudrun.checkout import REPO, checkout_commit, git
from deploy.cloudrun.images import commit_tag
from deploy.cloudrun.settings import CloudRunSettings

CONFIG = REPO / "cloudbuild.yaml"
IGNORE_FILE = "deploy/gcloudignore"
BUILT_INS = frozenset({"PROJECT_ID", "BUILD_ID", "PROJECT_NUMBER", "LOCATION", "COMMIT_SHA",
                       "SHORT_SHA", "REVISION_ID", "BRANCH_NAME", "TAG_NAME", "REF_NAME",
                       "REPO_NAME", "REPO_FULL_NAME", "TRIGGER_NAME", "SERVICE_ACCOUNT",
                       "SERVICE_ACCOUNT_EMAIL", "TRIGGER_BUILD_CONFIG_PATH"})
NAME = r"[A-Za-z_][A-Za-z0-9_]*"
TOKEN = re.compile(rf"\$(\$|\{{(?P<braced>{NAME})\}}|(?P<bare>{NAME}))")
TRAFFIC = re.compile(r"^(all|none|[1-9][0-9]?)$")
SETTINGS_SUBSTITUTIONS = {"_PROJECT": "project", "_REGION": "region",
                          "_REPOSITORY": "repository", "_SERVICE": "service", "_BUCKET": "bucket"}


class DeployError(ValueError):
    """The deploy cannot be submitted as asked; the message says why."""


def load_config(path: Path = CONFIG) -> dict[str, Any]:
    """cloudbuild.yaml as a mapping."""
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(config, dict):
        raise DeployError(f"{path}: not a Cloud Build config")
    return config


def defaults(config: Mapping[str, Any]) -> dict[str, str]:
    """The substitutions cloudbuild.yaml declares, with their default values."""
    return {key: "" if value is None else str(value)
            for key, value in (config.get("substitutions") or {}).items()}


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Apply Cloud Build's substitution rules; an undeclared `_NAME` is an error, as there."""

    def replace(match: re.Match[str]) -> str:
        if match.group(1) == "$":
            return "$"
        name = match.group("braced") or match.group("bare")
        if name in values:
            return values[name]
        if name in BUILT_INS:
            return f"${{{name}}}"  # Cloud Build fills it in
        raise DeployError(f"cloudbuild.yaml uses ${name}, which is neither a declared "
                          "substitution nor a Cloud Build built-in (write $$ for a shell $)")

    return TOKEN.sub(replace, text)


def model_uri(model_name: str, version: str | None, alias: str) -> str:
    """`models:/NAME/VERSION` when a version is given, else `models:/NAME@ALIAS`."""
    return version_uri(model_name, version) if version else alias_uri(model_name, alias)


def check_traffic(traffic: str, version: str | None, alias: str) -> None:
    """`all` only for @production (moving production is the registry's and ab's job); a
    percent only for a model that is not @production (an A/B test needs a challenger)."""
    if not TRAFFIC.match(traffic):
        raise DeployError(f"traffic must be all, none or a percent 1-99 (got {traffic!r})")
    production = version is None and alias == "production"
    if traffic == "all" and not production:
        raise DeployError("TRAFFIC=all deploys @production only; to ship another version use "
                          "registry-tools ab start/promote, or promote it, then make deploy")
    if traffic not in ("all", "none") and production:
        raise DeployError("an A/B split needs a challenger: MODEL_ALIAS=challenger or "
                          "MODEL_VERSION=N with TRAFFIC=<percent>")


def branch_label(branch: str) -> str:
    """A branch name as the deployment record keeps it: letters, digits, `_.-` only
    (`feature/x` -> `feature-x`), so it is safe in a substitution and in the record's JSON."""
    label = re.sub(r"[^A-Za-z0-9_.-]", "-", branch).lstrip(".-")[:128]
    if not label:
        raise DeployError(f"branch {branch!r} gives no usable label")
    return label


def submit_command(values: Mapping[str, str], project: str, region: str) -> list[str]:
    """The `gcloud builds submit` command, every substitution explicit."""
    pairs = ",".join(f"{key}={value}" for key, value in values.items())
    if any("," in value for value in values.values()):
        pairs = "^;^" + ";".join(f"{key}={value}" for key, value in values.items())
    return ["gcloud", "builds", "submit", f"--project={project}", f"--region={region}",
            "--config=cloudbuild.yaml", f"--ignore-file={IGNORE_FILE}",
            f"--substitutions={pairs}", "."]


def rendered_steps(config: Mapping[str, Any], values: Mapping[str, str]) -> list[str]:
    """Each step of the build, as it will run: image, environment, command."""
    lines = ["# Cloud Build runs these steps in order and fills in ${BUILD_ID} and other "
             "built-ins.",
             f"# runs as: {substitute(str(config.get('serviceAccount', 'the default')), values)}",
             *(f"# records the image: {substitute(image, values)}"
               for image in config.get("images") or []),
             "# environment of every step:"]
    lines += [f"export {substitute(item, values)}"
              for item in (config.get("options") or {}).get("env", [])]
    steps = config.get("steps") or []
    for number, step in enumerate(steps, start=1):
        lines.append(f"# step {number}/{len(steps)} {step.get('id', '')} "
                     f"(image {substitute(step['name'], values)})")
        lines += [f"export {substitute(item, values)}" for item in step.get("env", [])]
        command = [step.get("entrypoint", ""), *step.get("args", [])]
        if command[:2] == ["bash", "-c"] and len(command) == 3:
            lines.append(substitute(command[2], values).rstrip("\n"))
        else:
            lines.append(shlex.join(substitute(part, values) for part in command if part))
    return lines


def print_rollout_plan(version: str | None) -> None:
    """What the `rollout` step does with the revision the `deploy` step created (tagged
    `candidate`, no traffic): smoke test, watched traffic steps, and the rollback on a breach."""
    from deploy.rollout.cli import print_plan
    from deploy.rollout.runner import Rollout
    from deploy.rollout.settings import RolloutSettings
    from deploy.targets import TargetKind

    settings = RolloutSettings.load()
    shown = version or "N"
    print(f"# rollout plan of step rollout (CANDIDATE: the revision the deploy step created, "
          f"tagged candidate with no traffic; v{shown}: the baked model version; PREVIOUS: the "
          "revision serving all traffic now; ROLLOUT_* settings):")
    print_plan(Rollout(version=shown, steps=settings.steps,
                       window_seconds=settings.window_seconds, thresholds=settings.thresholds,
                       revision="CANDIDATE"), TargetKind.CLOUDRUN, settings,
               CloudRunSettings.load())


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m deploy.cloudbuild", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", help="print, do not submit")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--model-version", help="registry version to deploy")
    which.add_argument("--model-alias", default=PRODUCTION,
                       help="alias to resolve at build time (default: %(default)s)")
    parser.add_argument("--model-name",
                        help="registered model (default: TU_MODEL_NAME, else ticket_urgency)")
    parser.add_argument("--traffic", default="all", help="all, none or a percent 1-99")
    parser.add_argument("--git-sha", help="commit being deployed (default: git rev-parse HEAD)")
    parser.add_argument("--branch", help="its branch (default: the checkout's)")
    parser.add_argument("--test-args", default="", help="pytest arguments of the test step")
    return parser.parse_args(argv)


def substitutions(args: argparse.Namespace, config: Mapping[str, Any],
                  tracking_uri: str) -> dict[str, str]:
    """Every substitution of cloudbuild.yaml, with this deploy's values."""
    check_traffic(args.traffic, args.model_version, args.model_alias)
    settings = CloudRunSettings.load()
    model_name = args.model_name or ModelSettings.load().model_name
    values = defaults(config)
    values.update({key: str(getattr(settings, field))
                   for key, field in SETTINGS_SUBSTITUTIONS.items()})
    values.update({
        "_MLFLOW_TRACKING_URI": tracking_uri,
        "_MODEL_URI": model_uri(model_name, args.model_version, args.model_alias),
        "_TRAFFIC": args.traffic,
        "_GIT_SHA": commit_tag(args.git_sha or checkout_commit()),
        "_BRANCH": branch_label(args.branch or git("rev-parse", "--abbrev-ref", "HEAD")),
        "_TEST_ARGS": args.test_args,
        "_BUILD_SERVICE_ACCOUNT": settings.build_account,
    })
    return values


def main(argv: Sequence[str] | None = None) -> int:
    """Submit (or print) the build; exit 2 with one line when it cannot be submitted."""
    args = _parse(argv)
    tracking_uri = os.environ.get("MLFLOW_TRACKING_URI", "")
    try:
        config = load_config()
        values = substitutions(args, config, tracking_uri)
        command = submit_command(values, values["_PROJECT"], values["_REGION"])
        remote = tracking_uri.startswith(("http://", "https://"))
        if args.dry_run:
            if not remote:
                print(f"warning: MLFLOW_TRACKING_URI={tracking_uri!r} is not a tracking server "
                      "Cloud Build can reach; a real deploy refuses it", file=sys.stderr)
            print("\n".join([shlex.join(command), *rendered_steps(config, values)]))
            if args.traffic == "all":
                print_rollout_plan(args.model_version)
            return 0
        if not remote:
            raise DeployError("MLFLOW_TRACKING_URI must be the tracking server's http(s) URL "
                              f"(got {tracking_uri!r}): Cloud Build cannot read a local store")
    except (DeployError, ValueError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("+ " + shlex.join(command), flush=True)
    return subprocess.run(command, cwd=REPO, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
