"""Task records in the document's JSON shape, for tests that need exact data."""

import copy

FULL = {
    "id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "activityOrigin": "ACTIVITY",
    "type": "TASK",
    "status": "COMPLETED",
    "channel": "SALESMAN",
    "scheduledAt": "2026-04-15T13:00:00.000Z",
    "occurredAt": "2026-04-15T13:40:00.000Z",
    "createdAt": "2026-04-10T14:30:00.000Z",
    "lifecycleStatus": "COMPLETED",
    "lifecycleStatusLabel": "Completada",
    "lifecycleStatusDetail": "Visita realizada con pedido",
    "canForceRetryDispatch": False,
    "commerceExternalId": "COM-001",
    "commerceName": "Farmacia Central",
    "reason": {"code": "CHURN_RISK", "label": "Riesgo de fuga"},
    "userStatus": {"code": "FOLLOW_UP", "label": "Requiere seguimiento"},
    "commerceAssignment": {
        "commerceExternalId": "COM-001",
        "assignmentReason": "Asignación por ruta",
        "commerce": {"externalId": "COM-001", "name": "Farmacia Central"},
    },
    "activityDetails": {
        "type": "TASK",
        "assignedRouteCode": "RUTA-NORTE-01",
        "assignedOperatorExternalId": "OP-042",
        "assignedRoute": {"code": "RUTA-NORTE-01", "name": "Ruta Norte"},
        "assignedOperator": {"externalId": "OP-042", "name": "Carlos Pérez", "type": "SALESMAN"},
    },
    "activityResult": {
        "id": "r-0001",
        "resultStatus": "EFFECTIVE",
        "source": "MOBILE_APP",
        "origin": "SALESMAN",
        "channel": "SALESMAN",
        "occurredAt": "2026-04-15T13:40:00.000Z",
        "createdAt": "2026-04-15T13:41:00.000Z",
        "resultDetails": {"comment": "Pedido de reposición", "orderAmount": 125000},
    },
}

# Every field the document calls nullable is null, plus fields it does not know.
NULL_HEAVY = {
    "id": "00000000-0000-4000-8000-000000000000",
    "activityOrigin": "STANDALONE",
    "type": None,
    "status": None,
    "channel": None,
    "scheduledAt": None,
    "occurredAt": None,
    "createdAt": None,
    "lifecycleStatus": None,
    "lifecycleStatusLabel": None,
    "lifecycleStatusDetail": None,
    "canForceRetryDispatch": False,
    "commerceExternalId": "COM-404",
    "commerceName": "Kiosco Ñandú",
    "reason": None,
    "userStatus": None,
    "commerceAssignment": None,
    "activityDetails": None,
    "activityResult": None,
    "priority": "HIGH",
    "somethingNew": {"nested": [1, 2, 3]},
}


def task(**changes):
    """A copy of FULL with top-level fields changed."""
    record = copy.deepcopy(FULL)
    record.update(changes)
    return record
