"""A fake of the `gcloud` and `bq` commands the telemetry uses, run as a program in their place.

`install(folder)` puts a `gcloud` and a `bq` script in `folder/bin` that run this file; put that
first on PATH. State is a JSON file (`FAKE_CLOUD_STATE`); every call is appended to a log as a
JSON list (`FAKE_CLOUD_CALLS`: the tool, then its arguments). Only the commands and flags the
telemetry uses exist; anything else fails as the real tools fail on an unknown flag.

Outputs follow the real tools: `--format=json` / `--format=prettyjson` print the resource on
stdout; status lines ("Created [...]") go to stderr for gcloud, stdout for bq; a missing resource
makes gcloud exit 1 with `ERROR: (gcloud.GROUP.COMMAND) NOT_FOUND: ...` on stderr and bq exit 2
with `BigQuery error in show operation: Not found: Dataset P:D` on stdout. Like the APIs, the
fake adds what the server fills in (names, timestamps, etags, condition names, a sink's writer
identity) and leaves out enum values at their default (a STRING label's valueType), so a caller
comparing definitions with what it reads must cope with both.

`FAKE_CLOUD_FAIL` (a command prefix such as `gcloud logging metrics create`) makes matching
calls fail with PERMISSION_DENIED.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

WRITER_IDENTITY = "serviceAccount:service-123456789012@gcp-sa-logging.iam.gserviceaccount.com"
DEPLOYER = "deployer@example.com"
NOW = "2026-03-01T12:00:00.000000Z"

Outcome = tuple[int, str, str]  # exit code, stdout, stderr
Handler = Callable[[dict[str, Any], list[str], dict[str, Any]], Outcome]


def install(folder: Path) -> dict[str, str]:
    """Write the `gcloud` and `bq` scripts into `folder/bin`; the environment that uses them."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for tool in ("gcloud", "bq"):
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" '
                          f'{tool} "$@"\n', encoding="utf-8")
        script.chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "FAKE_CLOUD_STATE": str(folder / "state.json"),
            "FAKE_CLOUD_CALLS": str(folder / "calls.jsonl")}


def calls(folder: Path) -> list[list[str]]:
    """Every call so far, in order (the tool first)."""
    log = folder / "calls.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def state(folder: Path) -> dict[str, Any]:
    """The fake project's resources."""
    return _load(folder / "state.json")


def _load(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"datasets": {}, "sinks": {}, "metrics": {}, "policies": [], "dashboards": {},
                "serial": 0}
    return json.loads(path.read_text(encoding="utf-8"))


def _split(args: list[str]) -> tuple[list[str], dict[str, Any]]:
    words: list[str] = []
    flags: dict[str, Any] = {}
    for arg in args:
        if arg.startswith("--"):
            key, sep, value = arg[2:].partition("=")
            flags[key] = value if sep else True
        else:
            words.append(arg)
    return words, flags


def _next(project: dict[str, Any]) -> int:
    project["serial"] += 1
    return int(project["serial"])


def _read_file(path: str) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


# --- gcloud -------------------------------------------------------------------------------------

def _gcloud_error(command: str, message: str, code: int = 1) -> Outcome:
    return code, "", f"ERROR: (gcloud.{command}) {message}\n"


def _sink_describe(s: dict[str, Any], words: list[str], flags: dict[str, Any]) -> Outcome:
    sink = s["sinks"].get(words[0])
    if sink is None:
        return _gcloud_error("logging.sinks.describe", f"NOT_FOUND: Sink {words[0]} does not exist")
    return 0, json.dumps(sink, indent=2), ""


def _sink_fields(sink: dict[str, Any], words: list[str], flags: dict[str, Any]) -> None:
    if len(words) > 1:
        sink["destination"] = words[1]
    if "log-filter" in flags:
        sink["filter"] = flags["log-filter"]
    if "description" in flags:
        sink["description"] = flags["description"]
    if flags.get("use-partitioned-tables"):
        sink["bigqueryOptions"] = {"usePartitionedTables": True,
                                   "usesTimestampColumnPartitioning": True}
    sink["updateTime"] = NOW


def _sink_create(s: dict[str, Any], words: list[str], flags: dict[str, Any]) -> Outcome:
    name = words[0]
    if name in s["sinks"]:
        return _gcloud_error("logging.sinks.create", f"ALREADY_EXISTS: Sink {name} already exists")
    sink = {"name": name, "writerIdentity": WRITER_IDENTITY, "createTime": NOW}
    _sink_fields(sink, words, flags)
    s["sinks"][name] = sink
    return 0, "", (f"Created [https://logging.googleapis.com/v2/projects/{flags['project']}/sinks/"
                   f"{name}].\nPlease remember to grant `{WRITER_IDENTITY}` the BigQuery Data "
                   "Editor role on the dataset.\n")


def _sink_update(s: dict[str, Any], words: list[str], flags: dict[str, Any]) -> Outcome:
    sink = s["sinks"].get(words[0])
    if sink is None:
        return _gcloud_error("logging.sinks.update", f"NOT_FOUND: Sink {words[0]} does not exist")
    _sink_fields(sink, words, flags)
    return 0, "", f"Updated [https://logging.googleapis.com/v2/projects/{flags['project']}/sinks/" \
        f"{words[0]}].\n"


def _as_served_metric(name: str, config: dict[str, Any]) -> dict[str, Any]:
    metric = {**config, "name": name, "createTime": NOW, "updateTime": NOW}
    descriptor = dict(metric.get("metricDescriptor") or {"metricKind": "DELTA",
                                                         "valueType": "INT64", "unit": "1"})
    descriptor["labels"] = [{k: v for k, v in label.items()
                             if not (k == "valueType" and v == "STRING")}
                            for label in descriptor.get("labels", [])]
    if not descriptor["labels"]:
        del descriptor["labels"]
    descriptor.update({"name": f"projects/p/metricDescriptors/logging.googleapis.com/user/{name}",
                       "type": f"logging.googleapis.com/user/{name}"})
    metric["metricDescriptor"] = descriptor
    return metric


def _metric_describe(s: dict[str, Any], words: list[str], flags: dict[str, Any]) -> Outcome:
    metric = s["metrics"].get(words[0])
    if metric is None:
        return _gcloud_error("logging.metrics.describe",
                             f"NOT_FOUND: Metric {words[0]} does not exist.")
    return 0, json.dumps(metric, indent=2), ""


def _metric_create(s: dict[str, Any], words: list[str], flags: dict[str, Any]) -> Outcome:
    if words[0] in s["metrics"]:
        return _gcloud_error("logging.metrics.create",
                             f"ALREADY_EXISTS: Metric {words[0]} already exists.")
    s["metrics"][words[0]] = _as_served_metric(words[0], _read_file(flags["config-from-file"]))
    return 0, "", f"Created [{words[0]}].\n"


def _metric_update(s: dict[str, Any], words: list[str], flags: dict[str, Any]) -> Outcome:
    if words[0] not in s["metrics"]:
        return _gcloud_error("logging.metrics.update",
                             f"NOT_FOUND: Metric {words[0]} does not exist.")
    s["metrics"][words[0]] = _as_served_metric(words[0], _read_file(flags["config-from-file"]))
    return 0, "", f"Updated [{words[0]}].\n"


def _as_served_policy(name: str, body: dict[str, Any]) -> dict[str, Any]:
    policy = {"enabled": True, **body, "name": name,
              "creationRecord": {"mutateTime": NOW, "mutatedBy": DEPLOYER},
              "mutationRecord": {"mutateTime": NOW, "mutatedBy": DEPLOYER}}
    policy["conditions"] = [{**condition, "name": f"{name}/conditions/{index}"}
                            for index, condition in enumerate(body.get("conditions", []))]
    return policy


def _policy_list(s: dict[str, Any], words: list[str], flags: dict[str, Any]) -> Outcome:
    return 0, json.dumps(s["policies"], indent=2), ""


def _policy_create(s: dict[str, Any], words: list[str], flags: dict[str, Any]) -> Outcome:
    name = f"projects/{flags['project']}/alertPolicies/{_next(s)}"
    s["policies"].append(_as_served_policy(name, _read_file(flags["policy-from-file"])))
    return 0, "", f"Created alert policy [{name}].\n"


def _policy_update(s: dict[str, Any], words: list[str], flags: dict[str, Any]) -> Outcome:
    for index, policy in enumerate(s["policies"]):
        if policy["name"] == words[0]:
            s["policies"][index] = _as_served_policy(words[0],
                                                     _read_file(flags["policy-from-file"]))
            return 0, "", f"Updated alert policy [{words[0]}].\n"
    return _gcloud_error("monitoring.policies.update",
                         "NOT_FOUND: Requested entity was not found.")


def _dashboard_describe(s: dict[str, Any], words: list[str], flags: dict[str, Any]) -> Outcome:
    board = s["dashboards"].get(words[0])
    if board is None:
        return _gcloud_error("monitoring.dashboards.describe",
                             "NOT_FOUND: Requested entity was not found.")
    return 0, json.dumps(board, indent=2), ""


def _dashboard_create(s: dict[str, Any], words: list[str], flags: dict[str, Any]) -> Outcome:
    body = _read_file(flags["config-from-file"])
    name = body.get("name") or f"projects/{flags['project']}/dashboards/{_next(s)}"
    if not name.startswith(f"projects/{flags['project']}/dashboards/"):
        return _gcloud_error("monitoring.dashboards.create",
                             f"INVALID_ARGUMENT: dashboard name {name} is not in the project")
    board_id = name.rsplit("/", 1)[1]
    if board_id in s["dashboards"]:
        return _gcloud_error("monitoring.dashboards.create",
                             "ALREADY_EXISTS: Requested entity already exists")
    s["dashboards"][board_id] = {**body, "name": name, "etag": f"etag-{_next(s)}"}
    return 0, "", f"Created [{board_id}].\n"


def _dashboard_update(s: dict[str, Any], words: list[str], flags: dict[str, Any]) -> Outcome:
    current = s["dashboards"].get(words[0])
    if current is None:
        return _gcloud_error("monitoring.dashboards.update",
                             "NOT_FOUND: Requested entity was not found.")
    body = _read_file(flags["config-from-file"])
    if body.get("etag") not in (None, current["etag"]):
        return _gcloud_error("monitoring.dashboards.update",
                             "ABORTED: The dashboard was changed by someone else (etag mismatch).")
    s["dashboards"][words[0]] = {**body, "name": current["name"], "etag": f"etag-{_next(s)}"}
    return 0, "", f"Updated [{words[0]}].\n"


GCLOUD: dict[tuple[str, ...], tuple[Handler, tuple[int, int], frozenset[str]]] = {
    ("logging", "sinks", "describe"): (_sink_describe, (1, 1), frozenset({"project", "format"})),
    ("logging", "sinks", "create"): (_sink_create, (2, 2), frozenset(
        {"project", "log-filter", "description", "use-partitioned-tables"})),
    ("logging", "sinks", "update"): (_sink_update, (1, 2), frozenset(
        {"project", "log-filter", "description", "use-partitioned-tables"})),
    ("logging", "metrics", "describe"): (_metric_describe, (1, 1),
                                         frozenset({"project", "format"})),
    ("logging", "metrics", "create"): (_metric_create, (1, 1),
                                       frozenset({"project", "config-from-file"})),
    ("logging", "metrics", "update"): (_metric_update, (1, 1),
                                       frozenset({"project", "config-from-file"})),
    ("monitoring", "policies", "list"): (_policy_list, (0, 0), frozenset({"project", "format"})),
    ("monitoring", "policies", "create"): (_policy_create, (0, 0),
                                           frozenset({"project", "policy-from-file"})),
    ("monitoring", "policies", "update"): (_policy_update, (1, 1),
                                           frozenset({"project", "policy-from-file"})),
    ("monitoring", "dashboards", "describe"): (_dashboard_describe, (1, 1),
                                               frozenset({"project", "format"})),
    ("monitoring", "dashboards", "create"): (_dashboard_create, (0, 0),
                                             frozenset({"project", "config-from-file"})),
    ("monitoring", "dashboards", "update"): (_dashboard_update, (1, 1),
                                             frozenset({"project", "config-from-file"})),
}


def gcloud(s: dict[str, Any], args: list[str]) -> Outcome:
    """Run one gcloud command against the state."""
    words, flags = _split(args)
    command = tuple(words[:3])
    if command not in GCLOUD:
        return _gcloud_error(".".join(command), f"Invalid choice: {' '.join(command)!r}.", 2)
    handler, (fewest, most), allowed = GCLOUD[command]
    name = ".".join(command)
    unknown = sorted(set(flags) - allowed)
    if unknown:
        return _gcloud_error(name, f"unrecognized arguments: --{unknown[0]}", 2)
    if not fewest <= len(words[3:]) <= most:
        return _gcloud_error(name, f"wrong number of arguments: {words[3:]}", 2)
    if "project" not in flags:
        return _gcloud_error(name, "The required property [project] is not currently set.")
    if "format" in flags and flags["format"] != "json":
        return _gcloud_error(name, "this fake prints --format=json only", 2)
    return handler(s, words[3:], flags)


# --- bq -----------------------------------------------------------------------------------------

BQ_FLAGS = frozenset({"project_id", "location", "format", "dataset", "description", "source"})


def bq(s: dict[str, Any], args: list[str]) -> Outcome:
    """Run one bq command against the state (flags before or after the command, as bq allows)."""
    words, flags = _split(args)
    unknown = sorted(set(flags) - BQ_FLAGS)
    if unknown:
        return 1, "", f"FATAL Flags parsing error: Unknown command line flag '{unknown[0]}'\n"
    if len(words) != 2 or words[0] not in ("show", "mk", "update"):
        return 1, "", f"Error parsing command: {' '.join(words)}\n"
    command, ref = words
    dataset = s["datasets"].get(ref)
    if command == "mk":
        if not flags.get("dataset"):
            return 1, "", "this fake makes datasets only (--dataset)\n"
        if dataset is not None:
            return 1, f"BigQuery error in mk operation: Dataset '{ref}' already exists.\n", ""
        project, _, dataset_id = ref.partition(":")
        s["datasets"][ref] = {
            "kind": "bigquery#dataset", "id": ref, "etag": f"etag-{_next(s)}",
            "datasetReference": {"projectId": project, "datasetId": dataset_id},
            "description": flags.get("description", ""), "location": flags.get("location", "US"),
            "access": [{"role": "WRITER", "specialGroup": "projectWriters"},
                       {"role": "OWNER", "specialGroup": "projectOwners"},
                       {"role": "OWNER", "userByEmail": DEPLOYER},
                       {"role": "READER", "specialGroup": "projectReaders"}]}
        return 0, f"Dataset '{ref}' successfully created.\n", ""
    if dataset is None:
        return 2, f"BigQuery error in {command} operation: Not found: Dataset {ref}\n", ""
    if command == "show":
        return 0, json.dumps(dataset, indent=2), ""
    source = json.loads(Path(flags["source"]).read_text(encoding="utf-8"))
    dataset.update(access=source["access"], etag=f"etag-{_next(s)}")
    return 0, f"Dataset '{ref}' successfully updated.\n", ""


def main(argv: list[str]) -> int:
    """Log the call, run it against the state, save the state, print what the tool prints."""
    tool, args = argv[0], argv[1:]
    with Path(os.environ["FAKE_CLOUD_CALLS"]).open("a", encoding="utf-8") as log:
        log.write(json.dumps([tool, *args]) + "\n")
    path = Path(os.environ["FAKE_CLOUD_STATE"])
    project = _load(path)
    words = [tool, *(arg for arg in args if not arg.startswith("--"))]
    failing = os.environ.get("FAKE_CLOUD_FAIL", "")
    if failing and " ".join(words).startswith(failing):
        code, out, err = 1, "", (f"ERROR: (gcloud.{'.'.join(words[1:4])}) PERMISSION_DENIED: "
                                 "Permission denied for the caller.\n")
    else:
        code, out, err = (gcloud if tool == "gcloud" else bq)(project, args)
    path.write_text(json.dumps(project, indent=2), encoding="utf-8")
    sys.stdout.write(out)
    sys.stderr.write(err)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
