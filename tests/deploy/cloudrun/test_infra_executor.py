"""The executor: rounds until nothing differs (and a clear error when that never happens), and
the wait for Cloud SQL's operations (done, failed, too slow)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from google.cloud import sqladmin_v1

from deploy.cloudrun.infra.calls import Action, Call
from deploy.cloudrun.infra.executor import (
    MAX_ROUNDS,
    NotConverged,
    OperationFailed,
    converge,
    wait_for_sql,
)
from deploy.cloudrun.infra.plan import Plan

STATUS = sqladmin_v1.Operation.SqlOperationStatus
UPDATE = Action("update alert policy p (conditions differ)", Call("alert_policies", "update", {}))


def test_a_project_that_never_matches_is_reported_after_the_last_round() -> None:
    sent: list[Call] = []
    with pytest.raises(NotConverged, match=r"conditions differ"):
        converge(lambda: Plan((UPDATE,)), sent.append, say=lambda line: None)
    assert sent == [UPDATE.call] * (MAX_ROUNDS - 1)


def test_rounds_stop_as_soon_as_nothing_is_planned() -> None:
    plans = iter([Plan((UPDATE, UPDATE)), Plan(())])
    said: list[str] = []
    assert converge(lambda: next(plans), lambda call: None, say=said.append) == 2
    assert said == [f"+ {UPDATE.reason}: alert_policies.update"] * 2


def operations(*answers: sqladmin_v1.Operation) -> Any:
    """Clients whose Cloud SQL operations answer `answers`, one per poll."""
    replies = iter(answers)
    return SimpleNamespace(sql_operations=SimpleNamespace(get=lambda request: next(replies)))


def operation(status: sqladmin_v1.Operation.SqlOperationStatus,
              *errors: str) -> sqladmin_v1.Operation:
    return sqladmin_v1.Operation(
        name="op-1", target_project="p", status=status,
        operation_type=sqladmin_v1.Operation.SqlOperationType.CREATE,
        error=sqladmin_v1.OperationErrors(errors=[
            sqladmin_v1.OperationError(code="QUOTA", message=text) for text in errors]))


def test_a_cloud_sql_operation_is_polled_until_done() -> None:
    naps: list[float] = []
    done = wait_for_sql(operations(operation(STATUS.RUNNING), operation(STATUS.DONE)),
                        operation(STATUS.PENDING), 60, sleep=naps.append, clock=lambda: 0.0)
    assert done.status == STATUS.DONE
    assert len(naps) == 1


def test_a_failed_cloud_sql_operation_names_its_errors() -> None:
    with pytest.raises(OperationFailed, match=r"op-1 \(CREATE\) failed: QUOTA: no quota left"):
        wait_for_sql(operations(operation(STATUS.DONE, "no quota left")),
                     operation(STATUS.PENDING), 60, sleep=lambda s: None, clock=lambda: 0.0)


def test_a_cloud_sql_operation_that_does_not_end_in_time_is_an_error() -> None:
    clock = iter([0.0, 61.0])
    with pytest.raises(OperationFailed, match=r"not done after 60 s"):
        wait_for_sql(operations(operation(STATUS.RUNNING)), operation(STATUS.PENDING), 60,
                     sleep=lambda s: None, clock=lambda: next(clock))
