"""Deterministic demo data in the exact JSON shape of the List Activities endpoint.

Everything is derived from ``random.Random(seed)`` and the ``today`` argument, never
from the clock or the machine's time zone, so the same inputs always give the same list.
Timestamps are UTC strings with milliseconds and a trailing ``Z``, as in the document.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable

UTC = dt.UTC

# The scheduled window, in days relative to ``today`` (both ends included).
FIRST_DAY = -21
LAST_DAY = 14

ROUTES = [
    ("RUTA-NORTE-01", "Ruta Norte"),
    ("RUTA-SUR-02", "Ruta Sur"),
    ("RUTA-CENTRO-03", "Ruta Centro"),
    ("RUTA-ORIENTE-04", "Ruta Oriente"),
    ("RUTA-PONIENTE-05", "Ruta Poniente"),
    ("RUTA-COSTA-06", "Ruta Costa"),
    ("RUTA-CORDILLERA-07", "Ruta Cordillera"),
    ("RUTA-VALLE-08", "Ruta Valle"),
]

_COMMERCE_NAMES = [
    "Farmacia Central",
    "Farmacia San José",
    "Almacén Don Pepe",
    "Panadería La Espiga",
    "Ferretería El Tornillo",
    "Minimarket Ñuñoa",
    "Botillería Los Álamos",
    "Farmacia del Pueblo",
    "Almacén La Esquina",
    "Panadería Santa Inés",
    "Ferretería Los Andes",
    "Minimarket El Sol",
    "Botillería Don Ramón",
    "Librería El Cóndor",
    "Supermercado Río Bueno",
    "Farmacia Cruz del Sur",
    "Almacén Doña Rosa",
    "Panadería El Trigal",
    "Ferretería San Martín",
    "Minimarket Peñalolén",
    "Carnicería El Gaucho",
    "Verdulería Los Aromos",
    "Farmacia Maipú",
    "Almacén Las Acacias",
    "Panadería Pan de Campo",
    "Ferretería La Llave",
    "Botillería El Barril",
    "Minimarket Providencia",
    "Distribuidora Ñielol",
    "Farmacia Bellavista",
    "Bazar La Aguja",
    "Almacén El Rincón de Chela",
    "Panadería Dulce Hogar",
    "Ferretería Ñuble",
    "Minimarket Las Condes",
    "Botillería La Cava",
    "Pastelería Mónica",
    "Almacén San Expedito",
    "Kiosco La Pérgola",
    "Frutería Doña Inés",
]

# (externalId, name, routeCode): each commerce belongs to one route, round robin.
COMMERCES = [
    (f"COM-{number:03d}", name, ROUTES[(number - 1) % len(ROUTES)][0])
    for number, name in enumerate(_COMMERCE_NAMES, start=1)
]

# (externalId, name, type, routeCode or None)
OPERATORS = [
    ("OP-042", "Carlos Pérez", "SALESMAN", "RUTA-NORTE-01"),
    ("OP-017", "María José Núñez", "SALESMAN", "RUTA-SUR-02"),
    ("OP-023", "Joaquín Muñoz", "SALESMAN", "RUTA-CENTRO-03"),
    ("OP-031", "Sofía Ramírez", "SALESMAN", "RUTA-ORIENTE-04"),
    ("OP-008", "Andrés Peña", "SALESMAN", "RUTA-PONIENTE-05"),
    ("OP-056", "Valentina Ibáñez", "SALESMAN", "RUTA-COSTA-06"),
    ("OP-064", "José Tomás Gutiérrez", "SALESMAN", "RUTA-CORDILLERA-07"),
    ("OP-072", "Camila Fernández", "SALESMAN", "RUTA-VALLE-08"),
    ("OP-081", "Matías Solís", "SALESMAN", None),  # covers absences on any route
    ("OP-101", "Daniela Rojas", "CALLCENTER", None),
    ("OP-102", "Ignacio Álvarez", "CALLCENTER", None),
    ("OP-103", "Fernanda Castañeda", "CALLCENTER", None),
    ("OP-104", "Martín Cáceres", "CALLCENTER", None),
    ("OP-105", "Josefa Olguín", "CALLCENTER", None),
    ("OP-106", "Benjamín Zúñiga", "CALLCENTER", None),
]
_ROUTE_NAMES = dict(ROUTES)
_SALESMAN_BY_ROUTE = {op[3]: op for op in OPERATORS if op[3] is not None}
_RELIEF_SALESMAN = OPERATORS[8]
_CALLCENTER = [op for op in OPERATORS if op[2] == "CALLCENTER"]

REASONS = [
    ("CHURN_RISK", "Riesgo de fuga"),
    ("NEW_PRODUCT", "Lanzamiento de producto"),
    ("DEBT_COLLECTION", "Cobranza"),
    ("ROUTINE_VISIT", "Visita de rutina"),
    ("REACTIVATION", "Reactivación de cliente"),
    ("STOCK_CHECK", "Revisión de inventario"),
    ("PROMOTION", "Activación de promoción"),
    ("SATISFACTION_SURVEY", "Encuesta de satisfacción"),
]
_REASON_WEIGHTS = [14, 8, 10, 30, 8, 12, 10, 8]

USER_STATUSES = [
    ("FOLLOW_UP", "Requiere seguimiento"),
    ("NO_CONTACT", "Sin contacto"),
    ("STORE_CLOSED", "Local cerrado"),
    ("CALL_BACK", "Volver a llamar"),
    ("INTERESTED", "Interesado"),
]

# status -> (lifecycleStatus, lifecycleStatusLabel)
LIFECYCLE = {
    "PENDING": ("SCHEDULED", "Programada"),
    "IN_PROGRESS": ("IN_PROGRESS", "En curso"),
    "COMPLETED": ("COMPLETED", "Completada"),
    "CANCELLED": ("CANCELLED", "Cancelada"),
}
OVERDUE = ("OVERDUE", "Atrasada")
DISPATCH_FAILED = ("DISPATCH_FAILED", "Error de envío")
# Values the document does not list; clients must show them rather than crash.
ON_HOLD = ("ON_HOLD", "En espera")
UNSCHEDULED = ("UNSCHEDULED", "Sin programar")

_DISPATCH_DETAILS = [
    "El dispositivo del vendedor no respondió",
    "No se pudo enviar la notificación al vendedor",
    "Tiempo de espera agotado al despachar la tarea",
]
_CANCEL_DETAILS = [
    "Cancelada por el supervisor",
    "Comercio cerrado temporalmente",
    "Duplicada con otra actividad",
]
_ON_HOLD_DETAILS = [
    "Esperando aprobación de crédito",
    "Cliente pidió reagendar",
]
_COMMENTS = {
    "EFFECTIVE": [
        "Pedido tomado sin observaciones",
        "Cliente renovó su pedido mensual",
        "Se acordó un plan de pago",
        "Cliente aceptó probar el nuevo producto",
        "Se repuso la góndola y se tomó pedido",
    ],
    "NOT_EFFECTIVE": [
        "Cliente solicita visita la próxima semana",
        "Local cerrado al momento de la visita",
        "El encargado no estaba disponible",
        "Cliente no contesta el teléfono",
        "Cliente indica que tiene stock suficiente",
    ],
    "PENDING": [
        "Esperando confirmación del dueño",
        "Cliente confirmará el pedido por teléfono",
    ],
}

# Keys that may be null, at the top level of a task.
NULLABLE_TASK_KEYS = (
    "type",
    "status",
    "channel",
    "scheduledAt",
    "occurredAt",
    "createdAt",
    "lifecycleStatus",
    "lifecycleStatusLabel",
    "lifecycleStatusDetail",
    "reason",
    "userStatus",
    "commerceAssignment",
    "activityDetails",
    "activityResult",
)


def iso(moment: dt.datetime) -> str:
    """Return an aware datetime as the API writes it: ``2026-04-15T09:00:00.000Z``."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # Spelled out because strftime is the generator's slowest step.
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond // 1000:03d}Z"
    )


def generate_tasks(today: dt.date, count: int = 600, seed: int = 20260415) -> list[dict]:
    """Return ``count`` task dicts shaped exactly like the document's ``data`` items.

    Scheduled times fall between ``today - 21`` and ``today + 14`` days, in business
    hours (UTC 07:00-18:45, quarter hours); today holds at least 25 tasks and every day
    of today's Monday-Sunday week at least one. With the default count the list also
    holds a few of every null, unknown value and unknown extra field a client must
    tolerate. Same ``today`` and ``seed`` give an equal list.
    """
    rng = random.Random(seed)
    # Six tasks have no scheduledAt: five unscheduled ones and one null-heavy record.
    unscheduled = 6 if count >= 100 else 0
    days = _day_plan(rng, today, count - unscheduled)
    tasks = [_scheduled_task(rng, today, offset) for offset in days]
    tasks += [_unscheduled_task(rng, today) for _ in range(unscheduled - 1)]
    if unscheduled:
        tasks.append(_null_heavy(_unscheduled_task(rng, today)))
    if count >= 100:
        _add_variations(rng, tasks, today)
    rng.shuffle(tasks)
    return tasks


def _day_plan(rng: random.Random, today: dt.date, n: int) -> list[int]:
    """Day offsets for ``n`` scheduled tasks: today first, then this week, then spread."""
    plan = [0] * max(30, n // 15)
    monday = -today.weekday()
    for offset in range(monday, monday + 7):
        if offset != 0:
            plan += [offset] * 3
    offsets = list(range(FIRST_DAY, LAST_DAY + 1))
    # Field teams work mostly on weekdays: Saturday is light, Sunday lighter.
    weights = [{5: 2, 6: 1}.get((today + dt.timedelta(days=o)).weekday(), 5) for o in offsets]
    if n > len(plan):
        plan += rng.choices(offsets, weights, k=n - len(plan))
    return plan[:n]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _status_for(rng: random.Random, offset: int, hour: int) -> str:
    if offset < 0:
        weights = (10, 4 if offset >= -2 else 0, 72, 14)
    elif offset > 0:
        weights = (92, 0, 0, 8)
    elif hour < 11:
        weights = (25, 10, 55, 10)
    elif hour < 15:
        weights = (35, 30, 30, 5)
    else:
        weights = (80, 10, 0, 10)
    return rng.choices(("PENDING", "IN_PROGRESS", "COMPLETED", "CANCELLED"), weights)[0]


def _base_task(rng: random.Random, created: dt.datetime) -> dict:
    """A task with commerce, channel, operator and reason chosen; status left PENDING."""
    commerce_id, commerce_name, route_code = rng.choice(COMMERCES)
    if rng.random() < 0.65:
        channel = "SALESMAN"
        if rng.random() < 0.1:
            operator, assignment = _RELIEF_SALESMAN, "Reasignación por ausencia"
        else:
            operator, assignment = _SALESMAN_BY_ROUTE[route_code], "Asignación por ruta"
    else:
        channel = "CALLCENTER"
        operator = rng.choice(_CALLCENTER)
        assignment = rng.choice(("Asignación manual", "Asignación por cartera"))
        if rng.random() < 0.5:
            route_code = None
    reason = rng.choices(REASONS, _REASON_WEIGHTS)[0] if rng.random() < 0.95 else None
    user_status = rng.choice(USER_STATUSES) if rng.random() < 0.25 else None
    return {
        "id": _uuid(rng),
        "activityOrigin": "ACTIVITY",
        "type": "TASK",
        "status": "PENDING",
        "channel": channel,
        "scheduledAt": None,
        "occurredAt": None,
        "createdAt": iso(created),
        "lifecycleStatus": None,
        "lifecycleStatusLabel": None,
        "lifecycleStatusDetail": None,
        "canForceRetryDispatch": False,
        "commerceExternalId": commerce_id,
        "commerceName": commerce_name,
        "reason": dict(zip(("code", "label"), reason, strict=True)) if reason else None,
        "userStatus": dict(zip(("code", "label"), user_status, strict=True))
        if user_status
        else None,
        "commerceAssignment": {
            "commerceExternalId": commerce_id,
            "assignmentReason": assignment,
            "commerce": {"externalId": commerce_id, "name": commerce_name},
        },
        "activityDetails": {
            "type": "TASK",
            "assignedRouteCode": route_code,
            "assignedOperatorExternalId": operator[0],
            "assignedRoute": (
                {"code": route_code, "name": _ROUTE_NAMES[route_code]} if route_code else None
            ),
            "assignedOperator": {
                "externalId": operator[0],
                "name": operator[1],
                "type": operator[2],
            },
        },
        "activityResult": None,
    }


def _created_before(rng: random.Random, scheduled: dt.datetime) -> dt.datetime:
    day = scheduled.date() - dt.timedelta(days=rng.randint(1, 10))
    return dt.datetime(
        day.year,
        day.month,
        day.day,
        rng.randint(8, 19),
        rng.randint(0, 59),
        rng.randint(0, 59),
        rng.randint(0, 999) * 1000,
        tzinfo=UTC,
    )


def _scheduled_task(rng: random.Random, today: dt.date, offset: int) -> dict:
    day = today + dt.timedelta(days=offset)
    hour = rng.randint(7, 18)
    scheduled = dt.datetime(
        day.year, day.month, day.day, hour, rng.choice((0, 15, 30, 45)), tzinfo=UTC
    )
    task = _base_task(rng, _created_before(rng, scheduled))
    status = _status_for(rng, offset, hour)
    task["status"] = status
    task["scheduledAt"] = iso(scheduled)
    lifecycle = LIFECYCLE[status]
    if status == "PENDING" and offset < 0 and rng.random() < 0.9:
        lifecycle = OVERDUE
    task["lifecycleStatus"], task["lifecycleStatusLabel"] = lifecycle
    if status == "CANCELLED" and rng.random() < 0.4:
        task["lifecycleStatusDetail"] = rng.choice(_CANCEL_DETAILS)

    occurred = None
    if status == "COMPLETED":
        occurred = scheduled + dt.timedelta(
            minutes=rng.randint(-20, 120), seconds=rng.randint(0, 59)
        )
    elif status == "IN_PROGRESS":
        occurred = scheduled + dt.timedelta(minutes=rng.randint(0, 30), seconds=rng.randint(0, 59))
    if occurred is not None:
        occurred += dt.timedelta(milliseconds=rng.randint(0, 999))
        task["occurredAt"] = iso(occurred)
        if status == "COMPLETED" or rng.random() < 0.4:
            task["activityResult"] = _result(rng, task, status, scheduled, occurred)
    return task


def _result(
    rng: random.Random,
    task: dict,
    status: str,
    scheduled: dt.datetime,
    occurred: dt.datetime,
) -> dict:
    if status == "COMPLETED":
        result_status = rng.choices(("EFFECTIVE", "NOT_EFFECTIVE", "PENDING"), (60, 35, 5))[0]
    else:
        result_status = "PENDING"
    operator_type = task["activityDetails"]["assignedOperator"]["type"]
    if rng.random() < 0.1:
        source = "INTEGRATION"
    elif operator_type == "SALESMAN":
        source = "MOBILE_APP"
    else:
        source = "CALLCENTER_CONSOLE"
    details = None
    if rng.random() < 0.75:
        details = {"comment": rng.choice(_COMMENTS[result_status])}
        if result_status == "EFFECTIVE" and rng.random() < 0.8:
            details["orderAmount"] = rng.randrange(15_000, 450_000, 500)
        if result_status != "EFFECTIVE" and rng.random() < 0.6:
            next_contact = scheduled + dt.timedelta(days=rng.randint(2, 10))
            details["nextContactAt"] = iso(next_contact)
    created = occurred + dt.timedelta(minutes=rng.randint(0, 15), milliseconds=rng.randint(0, 999))
    return {
        "id": _uuid(rng),
        "resultStatus": result_status,
        "source": source,
        "origin": operator_type,
        "channel": task["channel"] if rng.random() < 0.85 else None,
        "occurredAt": iso(occurred),
        "createdAt": iso(created),
        "resultDetails": details,
    }


def _unscheduled_task(rng: random.Random, today: dt.date) -> dict:
    created = dt.datetime(today.year, today.month, today.day, 12, tzinfo=UTC) - dt.timedelta(
        days=rng.randint(1, 5), minutes=rng.randint(0, 600)
    )
    task = _base_task(rng, created)
    task["lifecycleStatus"], task["lifecycleStatusLabel"] = UNSCHEDULED
    return task


def _null_heavy(task: dict) -> dict:
    """Null every nullable field at once: the worst record a client can receive."""
    for key in NULLABLE_TASK_KEYS:
        task[key] = None
    return task


def _add_variations(rng: random.Random, tasks: list[dict], today: dt.date) -> None:
    """Give a few records each of the rarer shapes, each on its own records."""
    used: set[int] = set()
    today_prefix = today.isoformat()

    def pick(k: int, fits: Callable[[dict], bool] = lambda t: True) -> list[dict]:
        pool = [
            i
            for i, t in enumerate(tasks)
            if i not in used
            and t["scheduledAt"] is not None
            and t["status"] is not None
            and t["activityDetails"] is not None
            and fits(t)
        ]
        chosen = rng.sample(pool, min(k, len(pool)))
        used.update(chosen)
        return [tasks[i] for i in chosen]

    not_past = lambda t: t["scheduledAt"][:10] >= today_prefix  # noqa: E731
    for task in pick(8):
        task["activityOrigin"] = "STANDALONE"
    for task in pick(6, lambda t: t["status"] == "PENDING" and not_past(t)):
        task["lifecycleStatus"], task["lifecycleStatusLabel"] = DISPATCH_FAILED
        task["lifecycleStatusDetail"] = rng.choice(_DISPATCH_DETAILS)
        task["canForceRetryDispatch"] = True
    for task in pick(4, lambda t: t["status"] == "PENDING"):
        task["lifecycleStatus"], task["lifecycleStatusLabel"] = ON_HOLD
        task["lifecycleStatusDetail"] = rng.choice(_ON_HOLD_DETAILS)
    for task in pick(5, lambda t: t["channel"] == "CALLCENTER"):
        task["channel"] = "WHATSAPP"
        if task["activityResult"] is not None:
            task["activityResult"]["channel"] = "WHATSAPP"
    for key in (
        "type",
        "status",
        "channel",
        "createdAt",
        "reason",
        "commerceAssignment",
        "activityDetails",
    ):
        for task in pick(4):
            task[key] = None
    for task in pick(3):
        task["lifecycleStatus"] = task["lifecycleStatusLabel"] = None
    for task in pick(3):
        task["lifecycleStatusLabel"] = None
    for task in pick(4):
        details = task["activityDetails"]
        details["assignedOperatorExternalId"] = details["assignedOperator"] = None
    for task in pick(3, lambda t: t["activityDetails"]["assignedRouteCode"]):
        details = task["activityDetails"]
        details["assignedRouteCode"] = details["assignedRoute"] = None
    # The API joins these objects separately: a code may come without its object.
    for task in pick(3):
        task["activityDetails"]["assignedOperator"] = None
    for task in pick(3, lambda t: t["activityDetails"]["assignedRoute"]):
        task["activityDetails"]["assignedRoute"] = None
    # Fields the document does not list; clients must ignore them.
    for task in pick(6):
        task["priority"] = rng.choice(("HIGH", "HIGH", "LOW"))
    for task in pick(3, lambda t: t["reason"]):
        task["reason"]["category"] = "COMERCIAL"
    for task in pick(3):
        task["activityDetails"]["estimatedDurationMinutes"] = rng.choice((15, 30, 45))
    for task in pick(3, lambda t: t["activityResult"]):
        task["activityResult"]["deviceId"] = f"android-{rng.getrandbits(32):08x}"


def make_task(scheduled_at: dt.datetime, seed: int) -> dict:
    """One new pending task scheduled at ``scheduled_at`` (aware), like the generated ones.

    For the data-changing controls (``SandboxServer.add_tasks``): same seed, same task.
    """
    rng = random.Random(seed)
    task = _base_task(rng, _created_before(rng, scheduled_at))
    task["scheduledAt"] = iso(scheduled_at)
    task["lifecycleStatus"], task["lifecycleStatusLabel"] = LIFECYCLE["PENDING"]
    return task
