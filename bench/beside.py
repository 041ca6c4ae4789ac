"""Issue 14's rows for this tree and another, measured side by side in one run.

    git worktree add --detach /tmp/filed 5c4ba0a    # the tree issue 14 was filed on
    .venv/bin/python bench/beside.py /tmp/filed     # about 5 minutes
    git worktree remove --force /tmp/filed

Issue 14 gave its figures and targets as times on this machine at one moment, and the
machine's speed moves: the same page, the same instructions, reads twice as slow in one
hour as in another (bench/README.md, "Final run"). So here both trees run at once, on
one sandbox: every sample of a latency row asks the two in turn, and the load phases
alternate. The table gives each figure for both trees, how many times better this one
is, and how many times better issue 14 asked it to be: its target against the figure
it gave for the filed tree. That factor does not depend on how fast the machine runs.

Each tree gets its own database, static files and two gunicorns (uncached and
production settings, as in bench/run.py). The other tree's translations are compiled
into it when it has none, as its own set-up commands would. Exit status as bench/run.py.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/beside.py`
    sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402
from bench.procs import Processes  # noqa: E402
from bench.run import BenchError, Client, Dashboard, Plan, Sandbox, Timed, say  # noqa: E402

# Issue 14's table: the filed tree's figure and the target, by row.
FILED = {
    "overhead 20": (18.4, 8.0),
    "overhead 100": (32.2, 12.0),
    "cached 20": (12.1, 4.0),
    "cached 100": (23.4, 8.0),
    "pages/s 64": (77.0, 200.0),
}


@dataclass
class Tree:
    """One tree's two servers, its session cookie, and what was measured on it."""

    label: str
    root: Path
    uncached: Dashboard
    production: Dashboard
    cookie: str
    timed: dict[str, Timed] = field(default_factory=dict)
    pages: int = 0  # load: pages answered, errors included
    errors: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # load: the workers' CPU

    def client(self, dashboard: Dashboard) -> Client:
        return Client(dashboard.port, {"Cookie": self.cookie})


def revision(root: Path) -> str:
    """`root`'s commit, or its path when it is not a git checkout."""
    done = subprocess.run(  # noqa: S603 (fixed arguments)
        ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else str(root)


def compile_translations(root: Path, logs: Path) -> None:
    """Compile `root`'s catalogue when it has the .po but not the .mo (older trees did
    not commit it: their set-up commands compiled it)."""
    po = root / "locale" / "es" / "LC_MESSAGES" / "django.po"
    if not po.exists() or po.with_suffix(".mo").exists():
        return
    say(f"compiling {root}'s translations")
    babel = "from babel.messages.frontend import main; main()"
    command = [sys.executable, "-c", babel, "-q", "compile", "-d", "locale", "-D", "django"]
    with (logs / "pybabel.log").open("w") as log:
        done = subprocess.run(command, cwd=root, stdout=log, stderr=log, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BenchError(f"compiling {root}'s translations failed")


STARTED: list[Processes] = []  # every tree's processes, stopped in main()'s finally


def start_tree(label: str, root: Path, port: int, plan: Plan, workdir: Path) -> Tree:
    """`root`'s database and its two servers, ready, warm and signed in."""
    folder = workdir / label
    folder.mkdir()
    env = run.django_env(folder, port)
    password = secrets.token_urlsafe(16)
    say(f"{label}: static files, database, bench user ({root})")
    run.prepare_database(env, password, folder, root=root)
    procs = Processes(cwd=root)
    STARTED.append(procs)
    uncached = run.start_dashboard(procs, "uncached", {**env, **run.UNCACHED}, plan, folder)
    production = run.start_dashboard(procs, "production", env, plan, folder)
    workers, _ = run.configured_workers(plan)
    for dashboard in (uncached, production):
        run.wait_until_ready(dashboard, workers)
    cookie = run.sign_in(uncached.port, password)
    paths = ["/tasks/", "/tasks/?per_page=100", "/tasks/?page=2"]
    for dashboard in (uncached, production):
        run.warm_up(dashboard, cookie, paths, clients=workers * 2)
    return Tree(label, root, uncached, production, cookie)


# --- Measuring, the two trees in turn --------------------------------------------------------


def in_turn(trees: list[Tree], sample: int) -> list[Tree]:
    """The trees in the order this sample asks them: each goes first every other time."""
    return trees if sample % 2 == 0 else trees[::-1]


def time_list_pages(trees: list[Tree], api: Sandbox, per_page: int, plan: Plan) -> None:
    """Uncached list pages, paging on: each sample asks both trees, then the API directly."""
    clients = {tree.label: tree.client(tree.uncached) for tree in trees}
    timed = {tree.label: Timed() for tree in trees}
    pages = max(1, plan.tasks // per_page)
    for i in range(plan.samples):
        path = f"/tasks/?{urlencode({'page': 1 + i % pages, 'per_page': per_page})}"
        for tree in in_turn(trees, i):
            reply = clients[tree.label].get(path)
            run.page_ok(reply, f"{tree.label} {path}")
            timed[tree.label].seconds.append(reply.seconds)
        direct = api.call({"page": 1 + i % pages, "per_page": per_page}).seconds
        for one in timed.values():
            one.api_seconds.append(direct)
    for tree in trees:
        clients[tree.label].close()
        tree.timed[f"list {per_page}"] = timed[tree.label]


def time_default_view(trees: list[Tree], api: Sandbox, plan: Plan) -> None:
    """/tasks/ as first opened, with every upstream call it makes, counted per tree."""
    clients = {tree.label: tree.client(tree.uncached) for tree in trees}
    timed = {tree.label: Timed() for tree in trees}
    for i in range(plan.samples):
        for tree in in_turn(trees, i):
            before = api.requests_so_far()
            reply = clients[tree.label].get("/tasks/")
            run.page_ok(reply, f"{tree.label} /tasks/")
            timed[tree.label].seconds.append(reply.seconds)
            timed[tree.label].upstream_calls += (api.requests_so_far() - before) / plan.samples
        direct = api.call({"page": 1, "per_page": 20}).seconds
        for one in timed.values():
            one.api_seconds.append(direct)
    for tree in trees:
        clients[tree.label].close()
        tree.timed["default"] = timed[tree.label]


def time_cached(trees: list[Tree], api: Sandbox, per_page: int, plan: Plan) -> None:
    """One view again and again on the production servers, one connection each."""
    path = f"/tasks/?per_page={per_page}"
    clients = {tree.label: tree.client(tree.production) for tree in trees}
    for tree in trees:
        for _ in range(2):  # the first fills the cache
            run.page_ok(clients[tree.label].get(path), f"{tree.label} {path}")
    timed = {tree.label: Timed() for tree in trees}
    before = api.requests_so_far()
    for i in range(max(plan.samples, 20)):
        for tree in in_turn(trees, i):
            reply = clients[tree.label].get(path)
            run.page_ok(reply, f"{tree.label} {path}")
            timed[tree.label].seconds.append(reply.seconds)
    calls = api.requests_so_far() - before
    for tree in trees:
        clients[tree.label].close()
        timed[tree.label].upstream_calls = calls  # both trees' together: should be 0
        tree.timed[f"cached {per_page}"] = timed[tree.label]


def time_load(trees: list[Tree], api: Sandbox, sandbox_pid: int, plan: Plan) -> None:
    """64 clients (or --clients) paging on the uncached servers, the trees in turn twice."""
    clients = plan.clients[0]
    for phase in range(2):
        for tree in in_turn(trees, phase):
            say(f"load: {clients} clients for {plan.load_seconds:g} s on {tree.label}")
            load = run.run_load(
                clients, plan.load_seconds, tree.uncached, tree.cookie, api, sandbox_pid, plan
            )
            tree.pages += load.requests
            tree.errors += load.errors
            tree.seconds += load.seconds
            tree.cpu_seconds += load.cpu["dashboard"] * load.seconds


# --- The report ----------------------------------------------------------------------------


@dataclass
class Figure:
    """One measurement on both trees; `better` is how many times better this tree is."""

    label: str
    this: float
    other: float
    unit: str
    key: str | None = None  # its row in FILED, if issue 14 gave one
    higher_is_better: bool = False
    judged: bool = True  # not under --quick: its figures only prove the script works

    @property
    def better(self) -> float:
        if self.higher_is_better:
            return self.this / self.other if self.other else float("inf")
        return self.other / self.this if self.this else float("inf")

    def cells(self) -> list[str]:
        cells = [self.label, self.shown(self.this), self.shown(self.other), f"×{self.better:.1f}"]
        if self.key is None:
            return [*cells, "—", "—"]
        filed, target = FILED[self.key]
        # What the issue asked, as a factor: its target against its own figure for the
        # filed tree. Met when this tree beats the filed one by as much, here and now.
        asked = target / filed if self.higher_is_better else filed / target
        verdict = ("yes" if self.better >= asked else "**no**") if self.judged else "— (quick)"
        return [*cells, f"×{asked:.1f} ({self.shown(filed)} → {self.shown(target)})", verdict]

    def shown(self, value: float) -> str:
        if self.unit == "ms":
            return f"{value:.1f} ms"
        if self.unit == "+ms":
            return f"{value:+.1f} ms"
        return f"{value:.{0 if value >= 10 else 1}f} {self.unit}"


def ms(values: list[float]) -> float:
    return run.median(values) * 1000


def figures(this: Tree, other: Tree, plan: Plan) -> list[Figure]:
    rows = []
    for per_page in (20, 100):
        overhead = [
            ms(tree.timed[f"list {per_page}"].seconds)
            - ms(tree.timed[f"list {per_page}"].api_seconds)
            for tree in (this, other)
        ]
        label = f"List page, per_page {per_page}, uncached: overhead over one API call"
        rows.append(Figure(label, *overhead, "+ms", f"overhead {per_page}"))
    default = [
        ms(t.timed["default"].seconds) - ms(t.timed["default"].api_seconds) for t in (this, other)
    ]
    rows.append(Figure("Default view /tasks/, uncached: above one API call", *default, "+ms"))
    calls = [tree.timed["default"].upstream_calls for tree in (this, other)]
    rows.append(Figure("Default view /tasks/: upstream calls per view", *calls, "calls"))
    for per_page in (20, 100):
        cached = [ms(tree.timed[f"cached {per_page}"].seconds) for tree in (this, other)]
        label = f"Cached repeat, per_page {per_page}: median"
        rows.append(Figure(label, *cached, "ms", f"cached {per_page}"))
    clients = plan.clients[0]
    rates = [tree.pages / tree.seconds for tree in (this, other)]
    key = "pages/s 64" if clients == 64 else None
    label = f"Load: {clients} clients, uncached list pages"
    rows.append(Figure(label, *rates, "pages/s", key, higher_is_better=True))
    cpu = [tree.cpu_seconds * 1000 / max(1, tree.pages) for tree in (this, other)]
    rows.append(Figure(f"Load: the workers' CPU per page at {clients} clients", *cpu, "ms"))
    for row in rows:
        row.judged = not plan.quick
    return rows


def report(this: Tree, other: Tree, plan: Plan, conditions: run.Conditions) -> str:
    workers, threads = run.configured_workers(plan)
    header = [
        "Measurement",
        f"This tree ({revision(this.root)})",
        f"The other tree ({revision(other.root)})",
        "This tree better",
        "Issue 14 asked (its figure for the filed tree → its target)",
        "Met?",
    ]
    errors = f"Load errors: {this.errors} on this tree, {other.errors} on the other."
    intro = (
        f"Sandbox: {plan.tasks:,} tasks, {plan.latency_ms:g} ms added latency. Each tree: "
        f"gunicorn gthread, {workers} workers × {threads} threads, uncached and production "
        f"settings, on {os.cpu_count()} cores shared with everything else. "
        f"{plan.samples} samples per latency row, each tree asked in turn; load phases of "
        f"{plan.load_seconds:g} s, two per tree, alternating. {errors} {conditions.line()}"
    )
    rows = [row.cells() for row in figures(this, other, plan)]
    return run.markdown_table(intro, header, rows)


# --- The run -------------------------------------------------------------------------------


def beside(other_root: Path, plan: Plan, workdir: Path) -> str:
    conditions = run.Conditions.now()
    compile_translations(other_root, workdir)
    procs = Processes()
    STARTED.append(procs)
    say(f"starting the sandbox ({plan.tasks:,} tasks, {plan.latency_ms:g} ms latency)")
    port, sandbox = run.start_sandbox(procs, plan, workdir)
    api = Sandbox(port)
    trees = [
        start_tree("this", ROOT, port, plan, workdir),
        start_tree("other", other_root, port, plan, workdir),
    ]
    for per_page in (20, 100):
        say(f"list page at per_page {per_page}: {plan.samples} samples on each tree")
        time_list_pages(trees, api, per_page, plan)
    say("default view")
    time_default_view(trees, api, plan)
    for per_page in (20, 100):
        say(f"cached repeat at per_page {per_page}")
        time_cached(trees, api, per_page, plan)
    time_load(trees, api, sandbox.pid, plan)
    conditions.loop_after = run.machine_loop()
    return report(*trees, plan, conditions)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("other", type=Path, help="the other tree (a checkout of the dashboard)")
    parser.add_argument("--quick", action="store_true", help="a few seconds, for CI")
    parser.add_argument("--samples", type=int, help="timed requests per latency row (100)")
    parser.add_argument("--load-seconds", type=float, help="each load phase (20)")
    parser.add_argument("--clients", type=int, default=64, help="load clients (64)")
    args = parser.parse_args(argv)
    other = args.other.resolve()
    if not (other / "manage.py").exists() or not (other / "gunicorn.conf.py").exists():
        parser.error(f"{other} has no manage.py and gunicorn.conf.py")
    if not 1 <= args.clients <= 256:
        parser.error("--clients must be between 1 and 256")
    defaults = argparse.Namespace(
        quick=args.quick, latency_ms=50.0, tasks=None, samples=args.samples,
        load_seconds=args.load_seconds, clients=[args.clients], workers=None,
        no_postgres=True,
    )  # fmt: skip
    plan = Plan.from_args(defaults)
    workdir = Path(tempfile.mkdtemp(prefix="dashboard-beside-"))

    def clean_up() -> None:
        for procs in reversed(STARTED):
            procs.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)

    return run.print_table(lambda: beside(other, plan, workdir), clean_up)


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        raise SystemExit(main())
