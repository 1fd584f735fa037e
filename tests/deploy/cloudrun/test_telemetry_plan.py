"""The telemetry planner (pure): creates what is missing, updates only what differs, ignores what
the API fills in, grants the sink's writer identity on the dataset once it is known; and the
reading of `describe`/`list` results, "not found" included."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from deploy.cloudrun.telemetry.definitions import Definition, DefinitionError, Definitions
from deploy.cloudrun.telemetry.plan import Plan, plan
from deploy.cloudrun.telemetry.state import (
    CommandFailed,
    Observed,
    Result,
    StateError,
    observed,
    reads,
)
from tests.deploy.cloudrun.telemetry_support import READER, TARGET, rendered

OUT = "build/telemetry"
WRITER = "serviceAccount:service-1@gcp-sa-logging.iam.gserviceaccount.com"
DEFS = rendered()


def in_place(definitions: Definitions = DEFS) -> dict[str, Any]:
    """Everything as the API returns it once created: server fields added, STRING defaults
    dropped, the writer identity and readers granted (in the access list's legacy form)."""
    metrics = {}
    for metric in definitions.metrics:
        body = copy.deepcopy(metric.body)
        for label in body.get("metricDescriptor", {}).get("labels", []):
            label.pop("valueType", None)
        body["metricDescriptor"]["type"] = f"logging.googleapis.com/user/{metric.key}"
        metrics[metric.key] = {**body, "createTime": "2026-01-01T00:00:00Z"}
    policies = tuple({**copy.deepcopy(p.body), "name": f"projects/x/alertPolicies/{n}",
                      "enabled": True, "creationRecord": {"mutateTime": "2026-01-01T00:00:00Z"}}
                     for n, p in enumerate(definitions.policies))
    return {"dataset": {"id": TARGET.dataset_ref, "etag": "e1", "access": [
                {"role": "OWNER", "specialGroup": "projectOwners"},
                {"role": "WRITER", "userByEmail": WRITER.partition(":")[2]},
                {"role": "roles/bigquery.dataViewer", "iamMember": READER}]},
            "sink": {**definitions.sink.body, "writerIdentity": WRITER,
                     "bigqueryOptions": {"usePartitionedTables": True,
                                         "usesTimestampColumnPartitioning": True}},
            "metrics": metrics, "policies": policies,
            "dashboard": {**definitions.dashboard.body, "etag": "d1"}}


def planned(state: dict[str, Any], definitions: Definitions = DEFS) -> Plan:
    return plan(definitions, TARGET, Observed(**state), OUT)


def commands(result: Plan) -> list[str]:
    return [" ".join(write.argv[:4]) for write in result.writes]


def test_against_an_empty_project_everything_is_created_in_dependency_order() -> None:
    result = plan(DEFS, TARGET, Observed.nothing(DEFS), OUT)
    assert commands(result) == [
        f"bq --project_id={TARGET.project} --location=EU mk",
        "gcloud logging sinks create",
        *["gcloud logging metrics create"] * len(DEFS.metrics),
        *["gcloud monitoring policies create"] * len(DEFS.policies),
        "gcloud monitoring dashboards create"]
    sink = result.writes[1].argv
    assert "--use-partitioned-tables" in sink
    assert sink[5] == DEFS.sink.body["destination"]
    metric = result.writes[2]
    path = f"{OUT}/metrics/{DEFS.metrics[0].key}.json"
    assert metric.argv[-1] == f"--config-from-file={path}"
    assert json.loads(metric.files[path]) == DEFS.metrics[0].body
    [grant] = result.deferred  # the writer identity exists only once the sink does
    assert grant.argv[2:4] == ("update", f"--source={OUT}/dataset.json")
    assert READER in grant.reason


def test_nothing_is_planned_when_everything_is_in_place() -> None:
    assert planned(in_place()) == Plan(writes=(), deferred=())


def test_a_changed_threshold_updates_that_policy_only_by_its_api_name() -> None:
    state = in_place()
    index = next(n for n, p in enumerate(DEFS.policies) if p.stem == "server_errors")
    state["policies"][index]["conditions"][0]["conditionThreshold"]["thresholdValue"] = 999
    [write] = planned(state).writes
    assert write.argv[:5] == ("gcloud", "monitoring", "policies", "update",
                              f"projects/x/alertPolicies/{index}")
    assert "conditions[0].conditionThreshold.thresholdValue" in write.reason
    assert json.loads(next(iter(write.files.values()))) == DEFS.policies[index].body


def test_a_label_extractor_missing_from_a_metric_is_a_difference() -> None:
    state = in_place()
    del state["metrics"]["ticket_urgency_predictions"]["labelExtractors"]["urgent"]
    [write] = planned(state).writes
    assert write.argv[:5] == ("gcloud", "logging", "metrics", "update",
                              "ticket_urgency_predictions")
    assert "labelExtractors" in write.reason


def test_a_sink_filter_that_differs_is_updated_with_every_flag() -> None:
    state = in_place()
    state["sink"]["filter"] = 'resource.type="cloud_run_revision"'
    [write] = planned(state).writes
    assert write.argv[:6] == ("gcloud", "logging", "sinks", "update", DEFS.sink.key,
                              DEFS.sink.body["destination"])
    assert f"--log-filter={DEFS.sink.body['filter']}" in write.argv


def test_a_dashboard_update_carries_the_etag_it_read() -> None:
    state = in_place()
    state["dashboard"]["displayName"] = "renamed in the console"
    [write] = planned(state).writes
    assert write.argv[:5] == ("gcloud", "monitoring", "dashboards", "update",
                              "ticket-urgency-telemetry")
    assert json.loads(next(iter(write.files.values())))["etag"] == "d1"


def test_missing_grants_are_added_to_the_access_list_the_dataset_has() -> None:
    state = in_place()
    state["dataset"]["access"] = state["dataset"]["access"][:1]
    [write] = planned(state).writes
    assert write.argv == ("bq", f"--project_id={TARGET.project}", "update",
                          f"--source={OUT}/dataset.json", TARGET.dataset_ref)
    access = json.loads(write.files[f"{OUT}/dataset.json"])["access"]
    assert access == [{"role": "OWNER", "specialGroup": "projectOwners"},
                      {"role": "WRITER", "userByEmail": WRITER.partition(":")[2]},
                      {"role": "READER", "userByEmail": READER.partition(":")[2]}]


def test_a_grant_in_iam_form_counts_as_given() -> None:
    state = in_place()
    state["dataset"]["access"] = [
        {"role": "roles/bigquery.dataEditor", "iamMember": WRITER},
        {"role": "READER", "userByEmail": READER.partition(":")[2]}]
    assert planned(state).writes == ()


def test_two_policies_with_one_of_our_names_are_refused() -> None:
    state = in_place()
    state["policies"] = (*state["policies"], {**state["policies"][0], "name": "projects/x/a/9"})
    with pytest.raises(StateError, match="two alert policies are named"):
        planned(state)


def test_a_sink_field_gcloud_cannot_set_is_refused() -> None:
    sink = Definition(DEFS.sink.key, "sink", {**DEFS.sink.body, "disabled": True})
    odd = Definitions(sink=sink, metrics=DEFS.metrics, policies=DEFS.policies,
                      dashboard=DEFS.dashboard)
    with pytest.raises(DefinitionError, match="disabled"):
        planned(in_place(), odd)


def test_reads_say_what_exists_and_not_found_is_absence_in_each_tools_words() -> None:
    all_reads = reads(DEFS, TARGET)
    results = {read: Result(0, "{}" if read.key != "policies" else "[]", "") for read in all_reads}
    results[all_reads[0]] = Result(
        2, f"BigQuery error in show operation: Not found: Dataset {TARGET.dataset_ref}\n", "")
    results[all_reads[1]] = Result(
        1, "", "ERROR: (gcloud.logging.sinks.describe) NOT_FOUND: Sink x does not exist\n")
    state = observed(results)
    assert state.dataset is None
    assert state.sink is None
    assert state.metrics == {metric.key: {} for metric in DEFS.metrics}


def test_a_read_failing_otherwise_names_the_command_and_its_last_line() -> None:
    [policies] = [read for read in reads(DEFS, TARGET) if read.key == "policies"]
    failure = Result(1, "", "some warning\nERROR: (gcloud.monitoring.policies.list) "
                     "PERMISSION_DENIED: denied\n")
    with pytest.raises(CommandFailed) as raised:
        observed({policies: failure})
    assert str(raised.value) == (
        f"gcloud monitoring policies list --project={TARGET.project} --format=json failed "
        "(exit 1): ERROR: (gcloud.monitoring.policies.list) PERMISSION_DENIED: denied")


def test_whitespace_the_api_drops_from_text_is_no_difference() -> None:
    state = in_place()
    policy = state["policies"][0]
    policy["documentation"]["content"] = " ".join(policy["documentation"]["content"].split())
    state["sink"]["filter"] = state["sink"]["filter"].replace(" AND ", "\n  AND ")
    assert planned(state).writes == ()
