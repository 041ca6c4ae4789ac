"""Chart geometry for the SVG macros: numbers in, rectangles out (the template draws).

Kept out of the template so the layout can be tested; every mark carries its own words
for its `<title>`, and the same numbers feed the table beside the chart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from django.utils.translation import gettext
from markupsafe import Markup, escape

from activities import l10n, ranges

from .filters import Period
from .stats import OUTCOMES

WIDTH, HEIGHT = 720, 240
LEFT, BOTTOM, TOP = 36, 24, 8


@dataclass(frozen=True)
class Segment:
    outcome: str
    count: int
    y: float
    height: float


@dataclass
class Bar:
    label: str
    total: int
    x: float
    width: float
    counts: dict[str, int]
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Chart:
    bars: list[Bar]
    top: int  # the count the y axis reaches
    ticks: list[tuple[float, int]]  # (y, count)
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - BOTTOM
    left: int = LEFT
    every: int = 1  # label every n-th bar on the x axis

    def html(self, words: dict[str, str]) -> tuple[Markup, Markup]:
        """The bars' SVG marks and the numbers table's rows, in one pass over the bars
        (each of the ~170 marks of a day printed through the template was a dozen
        lookups and filters). `words` names each outcome, in the table's column order."""
        marks, rows = [], []
        words = {key: escape(text) for key, text in words.items()}
        bottom = self.height - 6
        for index, bar in enumerate(self.bars):
            label = escape(bar.label)
            x, width = round(bar.x, 2), round(bar.width, 2)
            marks.append("<g>")
            marks.extend(
                f'<rect class="mark o-{seg.outcome}" x="{x}" width="{width}" y="{seg.y}" '
                f'height="{seg.height}"><title>{label}: {words[seg.outcome]} {seg.count}'
                "</title></rect>"
                for seg in bar.segments
            )
            if index % self.every == 0:
                middle = round(bar.x + bar.width / 2, 2)
                marks.append(
                    f'<text class="tick" x="{middle}" y="{bottom}" text-anchor="middle">'
                    f"{label}</text>"
                )
            marks.append("</g>\n")
            cells = "".join(f"<td>{bar.counts.get(key, 0)}</td>" for key in words)
            rows.append(f'<tr><th scope="row">{label}</th>{cells}<td>{bar.total}</td></tr>\n')
        # Built from numbers, outcome keys and escaped words only.
        return Markup("".join(marks)), Markup("".join(rows))  # noqa: S704  # nosec B704


def buckets(period: Period, tz: tzinfo) -> list[tuple[datetime, str]]:
    """Each bucket's start (UTC) and label: the period's local hours, or its days."""
    if period.hourly:
        out, moment = [], period.start
        while moment < period.end:
            out.append((moment, f"{moment.astimezone(tz):%H}"))
            moment += timedelta(hours=1)  # UTC steps: 23 or 25 buckets on DST days
        return out
    days = [period.first_day + timedelta(days=n) for n in range(period.days)]
    return [(ranges.start_of_day(day, tz), l10n.day_month(day)) for day in days]


def stacked(counts: dict[datetime, dict[str, int]], period: Period, tz: tzinfo) -> Chart:
    """A stacked bar per bucket of `period` (from `stats.by_outcome`), empty ones included."""
    by_start = {start.astimezone(UTC): row for start, row in counts.items()}
    slots = buckets(period, tz)
    top = max([sum(row.values()) for row in counts.values()] + [1])
    top = _nice(top)
    plot_h = HEIGHT - BOTTOM - TOP
    step = (WIDTH - LEFT) / max(len(slots), 1)
    bars = []
    for index, (start, label) in enumerate(slots):
        row = by_start.get(start, {})
        bar = Bar(label, sum(row.values()), LEFT + index * step + step * 0.1, step * 0.8, row)
        y = HEIGHT - BOTTOM
        for outcome in OUTCOMES:
            count = row.get(outcome, 0)
            if count:
                height = plot_h * count / top
                y -= height
                bar.segments.append(Segment(outcome, count, round(y, 2), round(height, 2)))
        bars.append(bar)
    ticks = [(round(HEIGHT - BOTTOM - plot_h * n / 4, 2), top * n // 4) for n in range(5)]
    return Chart(bars, top, ticks, every=max(1, len(slots) // 12))


def _nice(value: int) -> int:
    """The next round number at or above `value` that divides in 4: 4, 8, 20, 40, 100..."""
    for step in (4, 8, 20, 40, 100, 200, 400, 1000, 2000, 4000, 10000):
        if value <= step:
            return step
    return -(-value // 10000) * 10000


@dataclass(frozen=True)
class Lane:
    task_id: str
    label: str
    y: float
    scheduled_x: float
    handled_x: float | None
    overdue: bool
    scheduled_at: datetime
    handled_at: datetime | None


def timeline(rows: list[dict], period: Period, *, now: datetime) -> tuple[list[Lane], int]:
    """One lane per task: its scheduled time and its handled time (the result's, else
    `occurred_at`) across the period; overdue when pending and scheduled before now.
    Returns the lanes and the SVG's height."""
    lanes = []
    for index, row in enumerate(rows):
        handled = row["result_occurred_at"] or row["occurred_at"]
        lanes.append(
            Lane(
                row["id"],
                row["commerce_name"] or row["id"],
                TOP + 14 + index * 18,
                timeline_x(row["scheduled_at"], period),
                timeline_x(handled, period) if handled else None,
                row["status"] == "PENDING" and row["scheduled_at"] < now,
                row["scheduled_at"],
                handled,
            )
        )
    return lanes, TOP + 14 + len(lanes) * 18 + BOTTOM


def timeline_x(moment: datetime, period: Period) -> float:
    """Where `moment` lies across the period on a timeline (clamped to its ends)."""
    span = (period.end - period.start).total_seconds() or 1
    share = (moment - period.start).total_seconds() / span
    return round(LEFT + (WIDTH - LEFT - 8) * min(max(share, 0), 1), 2)


def axis(period: Period, tz: tzinfo) -> list[tuple[float, str]]:
    """Labels along a timeline's x axis: about eight of the period's hours or days."""
    slots = buckets(period, tz)
    every = max(1, len(slots) // 8)
    return [(timeline_x(start, period), label) for start, label in slots[::every]]


def timeline_marks(lanes: list[Lane], clock) -> Markup:
    """The timeline's lanes as SVG marks, built once per page with the markup the
    template printed lane by lane (up to 100 lanes of three marks and two translated
    titles). `clock` formats a time as the task table does."""
    scheduled = gettext("scheduled %(time)s")  # trusted words, as Jinja2's `_()` takes them
    handled = gettext("handled %(time)s")
    late = f" · {gettext('Overdue')}"
    out = []
    for lane in lanes:
        label, y = escape(lane.label), lane.y
        when = scheduled % {"time": escape(clock(lane.scheduled_at))}
        mark = "late" if lane.overdue else "scheduled"
        span = box = ""
        if lane.handled_x is not None:
            span = (
                f'<line class="span" x1="{lane.scheduled_x}" x2="{lane.handled_x}" '
                f'y1="{y}" y2="{y}"></line>'
            )
            done = handled % {"time": escape(clock(lane.handled_at))}
            box = (
                f'<rect class="mark handled" x="{lane.handled_x - 4}" y="{y - 4}" width="8" '
                f'height="8"><title>{label}: {done}</title></rect>'
            )
        out.append(
            f'{span}<circle class="mark {mark}" cx="{lane.scheduled_x}" cy="{y}" r="5">'
            f"<title>{label}: {when}{late if lane.overdue else ''}</title></circle>{box}\n"
        )
    return Markup("".join(out))  # noqa: S704 (numbers, escaped labels and times)  # nosec B704
