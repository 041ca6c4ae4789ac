"""Decodes and validates a page of tasks in one pass (msgspec), and writes a task back as JSON.

A body that is not the documented shape raises `ShapeError`, whose message names the
place, as in "data[3].scheduledAt is not an ISO 8601 date"; the client turns it into
`ApiBadResponse` and logs the message.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from .types import Task, TaskPage


class ShapeError(Exception):
    """The body does not have the documented shape; the message names where."""


_decoder = msgspec.json.Decoder(TaskPage)
_EXPECTED = re.compile(r"Expected `([^`]*)`, got `[^`]*`")
_MISSING = re.compile(r"Object missing required field `([^`]*)`")
# What each expected JSON type is called in a message, first match wins.
_NOUNS = (
    ("str", "a string"),
    ("array", "a list"),
    ("object", "an object"),
    ("int", "a whole number"),
    ("bool", "true or false"),
)


def parse_page(body: bytes | str) -> TaskPage:
    """Build a `TaskPage` from the JSON `body`; raises `ShapeError`, or `msgspec.DecodeError`
    when the body is not JSON at all."""
    try:
        return _decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise ShapeError(_describe(str(exc))) from None


def _describe(error: str) -> str:
    """msgspec's "Expected `array`, got `object` - at `$.data`" as "data should be a list"."""
    problem, _, path = error.partition(" - at `")
    where = path.rstrip("`").removeprefix("$").removeprefix(".") or "the body"
    if match := _EXPECTED.fullmatch(problem):
        expected = match.group(1)
        noun = next((noun for key, noun in _NOUNS if key in expected), expected)
        return f"{where} should be {noun}"
    if match := _MISSING.fullmatch(problem):
        return f"{where} has no {match.group(1)}"
    if problem.startswith("Invalid RFC3339"):
        return f"{where} is not an ISO 8601 date"
    if problem.startswith((" ", ".")):  # raised by a record's own check, e.g. " has no id"
        return where + problem
    return f"{where}: {problem}"


def task_to_dict(task: Task) -> dict[str, Any]:
    """The task as JSON-ready data in the API's own camelCase shape (instants in ISO 8601)."""
    return msgspec.to_builtins(task)


def task_from_dict(data: Any) -> Task:
    """The `Task` of one record already decoded from JSON (a stored `task_to_dict`);
    raises `ShapeError` as `parse_page` does."""
    try:
        return msgspec.convert(data, Task)
    except msgspec.ValidationError as exc:
        raise ShapeError(_describe(str(exc))) from None
