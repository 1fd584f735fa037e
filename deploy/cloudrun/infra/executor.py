"""The edge: read, plan, make the planned calls, and again until nothing is left to do.

A round reads every resource and plans against it (`plan_round`), then sends the planned calls in
order, waiting for each long-running operation (Cloud Run's, Cloud SQL's) to finish, and stops at
the first failure (the library's exception propagates). The next round reads again: what could
only be planned once something existed (the sink writer's grant, the bucket grant) is planned
there, and the last round checks that nothing differs any more. A project where everything is
in place takes one round of reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from google.api_core import operation as long_running
from google.cloud import sqladmin_v1

from deploy.cloudrun.infra.calls import Call
from deploy.cloudrun.infra.clients import Clients
from deploy.cloudrun.infra.plan import Plan

MAX_ROUNDS = 3  # create; what creating made possible (grants); check
POLL_SECONDS = 5.0

Say = Callable[[str], None]


class NotConverged(RuntimeError):
    """Resources still differ from their definitions after the calls meant to fix that."""


class OperationFailed(RuntimeError):
    """A long-running operation ended in an error, or did not end in time."""


def converge(plan_round: Callable[[], Plan], send: Callable[[Call], object], say: Say) -> int:
    """Make the project match; the number of calls it took (0: everything was in place)."""
    applied = 0
    for attempt in range(1, MAX_ROUNDS + 1):
        current = plan_round()
        if not current.actions:
            return applied
        if attempt == MAX_ROUNDS:
            break
        for action in current.actions:
            say(f"+ {action.reason}: {action.call.client}.{action.call.method}")
            send(action.call)
            applied += 1
    raise NotConverged(
        "still differing after the calls that should have fixed it (the API returns these "
        "fields otherwise than the definitions say them: align the definitions with what the "
        "API returns): " + "; ".join(action.reason for action in current.actions))


def sender(clients: Clients, timeout: float) -> Callable[[Call], object]:
    """Send a call with `clients`, waiting up to `timeout` seconds for its operation."""

    def send(call: Call) -> object:
        response = getattr(getattr(clients, call.client), call.method)(**call.arguments)
        if isinstance(response, long_running.Operation):
            return response.result(timeout=timeout)
        if isinstance(response, sqladmin_v1.Operation):
            return wait_for_sql(clients, response, timeout)
        return response

    return send


def wait_for_sql(clients: Clients, operation: sqladmin_v1.Operation, timeout: float, *,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> sqladmin_v1.Operation:
    """Poll a Cloud SQL operation until it is done; `OperationFailed` on its errors or timeout."""
    deadline = clock() + timeout
    done = sqladmin_v1.Operation.SqlOperationStatus.DONE
    while operation.status != done:
        operation = clients.sql_operations.get(request=sqladmin_v1.SqlOperationsGetRequest(
            project=operation.target_project, operation=operation.name))
        if operation.status == done:
            break
        if clock() > deadline:
            raise OperationFailed(f"Cloud SQL operation {operation.name} "
                                  f"({operation.operation_type.name}) not done after {timeout:g} s")
        sleep(POLL_SECONDS)
    if operation.error.errors:
        raise OperationFailed(f"Cloud SQL operation {operation.name} "
                              f"({operation.operation_type.name}) failed: "
                              + "; ".join(f"{e.code}: {e.message}" for e in operation.error.errors))
    return operation
