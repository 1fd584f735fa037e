"""The A/B planner and the registry checks: every action's result and every refusal (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.traffic import (
    Change,
    NewRevision,
    PlanError,
    Revision,
    Route,
    Snapshot,
    describe,
    plan_abort,
    plan_promote,
    plan_rollback,
    plan_start,
)
from deploy.cloudrun.naming import revision_name, version_of
from deploy.local.ab.nginx import Layout, render
from registry_tools.ab.registry import RegistryView, check_candidate, require_production

SVC = "ticket-urgency-api"
V1, V2, V3 = f"{SVC}-v1-aaaaaaa", f"{SVC}-v2-bbbbbbb", f"{SVC}-v3-ccccccc"
REVISIONS = (Revision(V2, "2"), Revision(V1, "1"))


def name_for(version: str) -> str:
    return f"{SVC}-v{version}-new"


def snapshot(*routes: Route, revisions: tuple[Revision, ...] = REVISIONS) -> Snapshot:
    return Snapshot(SVC, routes, revisions)


ALL_ON_V1 = snapshot(Route(V1, 100, "production"))
SPLIT = snapshot(Route(V1, 80, "production"), Route(V2, 20, "challenger"))


def test_start_routes_the_percent_to_an_existing_revision_without_deploying() -> None:
    change = plan_start(ALL_ON_V1, version="2", percent=20, production_version="1",
                        name_for=name_for)
    assert change == Change("start", (Route(V1, 80, "production"), Route(V2, 20, "challenger")))


def test_start_deploys_a_revision_for_a_version_that_has_none() -> None:
    change = plan_start(ALL_ON_V1, version="3", percent=5, production_version="1",
                        name_for=name_for)
    assert change.deploy == NewRevision(f"{SVC}-v3-new", "3", "challenger")
    assert change.routes == (Route(V1, 95, "production"), Route(f"{SVC}-v3-new", 5, "challenger"))


def test_start_resolves_a_floating_latest_route_and_ignores_tag_only_routes() -> None:
    current = snapshot(Route(V1, 100), Route(V2, 0, "challenger"))  # after make deploy none
    change = plan_start(current, version="2", percent=50, production_version="1",
                        name_for=name_for)
    assert change.routes == (Route(V1, 50, "production"), Route(V2, 50, "challenger"))


@pytest.mark.parametrize("percent", [-5, 0, 100, 150])
def test_start_refuses_a_percent_out_of_range(percent: int) -> None:
    with pytest.raises(PlanError, match="between 1 and 99"):
        plan_start(ALL_ON_V1, version="2", percent=percent, production_version="1",
                   name_for=name_for)


def test_start_refuses_a_second_split() -> None:
    with pytest.raises(PlanError, match=r"already active.*promote or abort it first"):
        plan_start(SPLIT, version="3", percent=10, production_version="1", name_for=name_for)


def test_start_refuses_the_production_version_itself() -> None:
    with pytest.raises(PlanError, match="is the production version"):
        plan_start(ALL_ON_V1, version="1", percent=10, production_version="1",
                   name_for=name_for)


def test_start_refuses_when_traffic_and_registry_disagree() -> None:
    with pytest.raises(PlanError, match="traffic goes to v1 but @production is v2"):
        plan_start(ALL_ON_V1, version="3", percent=10, production_version="2",
                   name_for=name_for)


def test_start_refuses_a_service_with_no_traffic() -> None:
    with pytest.raises(PlanError, match="sends no traffic"):
        plan_start(snapshot(), version="2", percent=10, production_version="1",
                   name_for=name_for)


def test_start_refuses_a_serving_revision_not_named_after_a_version() -> None:
    manual = snapshot(Route(f"{SVC}-00042-xyz", 100), revisions=(Revision(f"{SVC}-00042-xyz",
                                                                          None),))
    with pytest.raises(PlanError, match="not named after a model version"):
        plan_start(manual, version="2", percent=10, production_version="1", name_for=name_for)


def test_a_split_ab_did_not_make_is_refused_rather_than_guessed() -> None:
    three = snapshot(Route(V1, 50), Route(V2, 25, "challenger"), Route(V3, 25),
                     revisions=(Revision(V3, "3"), *REVISIONS))
    with pytest.raises(PlanError, match="ab did not make"):
        plan_promote(three)


def test_promote_sends_everything_to_the_challenger_tagged_production() -> None:
    change, version = plan_promote(SPLIT)
    assert version == "2"
    assert change == Change("promote", (Route(V2, 100, "production"),))


def test_abort_sends_everything_back_to_production_and_names_the_challenger() -> None:
    change, version = plan_abort(SPLIT)
    assert version == "2"
    assert change == Change("abort", (Route(V1, 100, "production"),))


@pytest.mark.parametrize("action", [plan_promote, plan_abort])
def test_promote_and_abort_refuse_without_a_split(action: object) -> None:
    with pytest.raises(PlanError, match="no A/B split is active"):
        action(ALL_ON_V1)  # type: ignore[operator]


def test_rollback_routes_everything_to_the_previous_versions_revision() -> None:
    on_v2 = snapshot(Route(V2, 100, "production"))
    change = plan_rollback(on_v2, previous_version="1", name_for=name_for)
    assert change == Change("rollback", (Route(V1, 100, "production"),))


def test_rollback_redeploys_the_previous_version_when_its_revision_is_gone() -> None:
    only_v2 = snapshot(Route(V2, 100, "production"), revisions=(Revision(V2, "2"),))
    change = plan_rollback(only_v2, previous_version="1", name_for=name_for)
    assert change.deploy == NewRevision(f"{SVC}-v1-new", "1", "production")
    assert change.routes == (Route(f"{SVC}-v1-new", 100, "production"),)


def test_rollback_with_no_previous_version_is_refused() -> None:
    with pytest.raises(PlanError, match="no previous production version"):
        plan_rollback(ALL_ON_V1, previous_version=None, name_for=name_for)


def test_rollback_during_a_split_is_refused() -> None:
    with pytest.raises(PlanError, match="promote or abort it first"):
        plan_rollback(SPLIT, previous_version="1", name_for=name_for)


def test_rollback_to_the_version_already_serving_is_refused() -> None:
    with pytest.raises(PlanError, match="already receives all traffic"):
        plan_rollback(ALL_ON_V1, previous_version="1", name_for=name_for)


def test_describe_shows_the_deployment_and_traffic_before_and_after() -> None:
    change = plan_start(ALL_ON_V1, version="3", percent=10, production_version="1",
                        name_for=name_for)
    assert describe(ALL_ON_V1, change) == [
        f"deploy revision {SVC}-v3-new (model v3, VARIANT=challenger) with no traffic of its "
        "own yet",
        f"traffic before: {V1} (v1) 100% [production]",
        f"traffic after:  {V1} (v1) 90% [production], {SVC}-v3-new (v3) 10% [challenger]",
    ]


VIEW = RegistryView(name="ticket_urgency", production="1", previous=None,
                    statuses={"1": "passed", "2": "passed", "3": "failed"},
                    experiment_started={})


@pytest.mark.parametrize(("version", "message"), [
    ("9", r"has no version 9 \(registered: 1, 2, 3\)"),
    ("3", "validation_status 'failed'"),
    ("1", "already in production"),
])
def test_only_registered_gated_non_production_versions_are_candidates(version: str,
                                                                      message: str) -> None:
    with pytest.raises(PlanError, match=message):
        check_candidate(VIEW, version)


def test_a_registry_without_production_is_refused() -> None:
    empty = RegistryView("ticket_urgency", None, None, {}, {})
    with pytest.raises(PlanError, match="no @production version"):
        require_production(empty)


@pytest.mark.parametrize(("revision", "version"), [
    (f"{SVC}-v7-0123456", "7"), (f"{SVC}-v12-ab250101120000", "12"), (f"{SVC}-v3", "3"),
    (f"projects/p/locations/r/services/{SVC}/revisions/{SVC}-v4-abc", "4"),
    (f"{SVC}-00001-abc", None), ("other-api-v7-0123456", None), (f"{SVC}-vx", None),
])
def test_model_versions_are_read_back_from_revision_names(revision: str,
                                                          version: str | None) -> None:
    assert version_of(SVC, revision) == version


def test_revision_names_cloud_run_would_refuse_are_refused() -> None:
    assert revision_name(SVC, "7", "ab250101120000") == f"{SVC}-v7-ab250101120000"
    with pytest.raises(ValueError, match="not a valid Cloud Run revision name"):
        revision_name(SVC, "7", "x" * 60)


def test_the_nginx_split_gives_the_biggest_share_the_rest_and_tags_their_revisions() -> None:
    config = render("{{split}}|{{tags}}|{{upstreams}}|{{port}}", Layout(Path("/x")), 8090,
                    [Route(V1, 80, "production"), Route(V2, 20, "challenger")],
                    {V1: 1001, V2: 1002})
    split, tags, upstreams, port = config.split("|")
    assert split.split() == ["20%", f"{V2};", "*", f"{V1};"]
    assert tags.split() == ["production", f"{V1};", "challenger", f"{V2};"]
    assert f"upstream {V1} {{\n        server 127.0.0.1:1001;" in upstreams
    assert port == "8090"


def test_the_nginx_split_refuses_routes_that_do_not_add_up_to_100() -> None:
    with pytest.raises(ValueError, match="100% of traffic"):
        render("{{split}}", Layout(Path("/x")), 8090,
               [Route(V1, 80, "production")], {V1: 1001})
