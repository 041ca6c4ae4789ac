"""Exports across processes: host-wide slots (locked files), one per user, and CPU pacing."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from activities import api as client
from activities.api import TaskQuery
from activities.exports import formats, stream, views
from activities.exports.slots import ExportsBusy, ExportSlots, HostSlots, export_slots

ROOT = Path(__file__).resolve().parent.parent
CSV_URL = "/tasks/export.csv"
BUSY = "Other supervisors' exports are running right now. Try again in a minute."
MINE = "You already have an export running. Wait until its download finishes, then try again."

# Another worker process: takes a host slot for a user, says so, holds it until its
# standard input closes (or it is killed).
HOLDER = """
import sys
from pathlib import Path
from activities.exports.slots import HostSlots
release = HostSlots(Path(sys.argv[1]), int(sys.argv[2])).take(sys.argv[3])
print("held", flush=True)
sys.stdin.read()
release()
"""


@pytest.fixture
def holder(tmp_path):
    """`holder(user)`: a second process holding one of 2 host slots in `tmp_path`."""
    started = []

    def hold(user: str, size: int = 2) -> subprocess.Popen:
        process = subprocess.Popen(  # noqa: S603 (our interpreter, our script)
            [sys.executable, "-c", HOLDER, str(tmp_path), str(size), user],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        assert process.stdout.readline() == "held\n"
        return process

    yield hold
    for process in started:
        process.kill()
        process.wait()


def test_host_slots_refuse_a_third_export_across_two_processes(tmp_path, holder):
    holder("ana")
    here = HostSlots(tmp_path, 2)
    release = here.take("bruno")

    with pytest.raises(ExportsBusy) as refused:
        here.take("carla")

    assert str(refused.value) == BUSY
    release()
    here.take("carla")()  # a slot freed here is free again


def test_a_crashed_holder_frees_its_slot(tmp_path, holder):
    process = holder("ana", size=1)
    with pytest.raises(ExportsBusy):
        HostSlots(tmp_path, 1).take("bruno")

    process.kill()  # a worker that dies mid-export: no release() ever runs
    process.wait()

    HostSlots(tmp_path, 1).take("bruno")()


def test_one_export_per_user_on_the_host_whatever_the_process(tmp_path, holder):
    holder("ana")

    with pytest.raises(ExportsBusy) as refused:
        HostSlots(tmp_path, 2).take("ana")

    assert str(refused.value) == MINE
    HostSlots(tmp_path, 2).take("bruno")()  # the other slot is still free


def test_two_processes_slots_share_the_folder_and_free_both_locks(tmp_path):
    # Two workers' ExportSlots, one slot each per process, sharing a host of 1.
    first, second = (ExportSlots(2, HostSlots(tmp_path, 1)) for _ in range(2))
    slot = first.take("ana")

    with pytest.raises(ExportsBusy):
        second.take("bruno")
    slot.release()

    second.take("ana").release()  # user and slot locks both freed
    first.take("bruno").release()  # and the process's own set too


def test_an_export_refused_by_another_process_is_a_429_with_retry_after(
    signed_in, api, settings, tmp_path, holder
):
    settings.ACTIVITIES_EXPORT_LOCK_DIR = str(tmp_path)
    settings.ACTIVITIES_EXPORT_HOST_SLOTS = 1
    holder("someone-else", size=1)

    refused = signed_in.get(CSV_URL)

    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert refused.content.decode() == f"Too many exports at once.\n{BUSY}\n"


def test_an_unusable_lock_folder_is_logged_and_the_export_runs(
    signed_in, api, settings, tmp_path, caplog
):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    settings.ACTIVITIES_EXPORT_LOCK_DIR = str(not_a_folder / "slots")

    response = signed_in.get(CSV_URL)

    assert response.status_code == 200
    assert "export host slots unavailable" in caplog.text


# --- Pacing ------------------------------------------------------------------------------


class FakeCpu:
    """A thread CPU clock that advances `step` seconds per reading pair, and a sleeper."""

    def __init__(self, step: float) -> None:
        self.step, self.now, self.slept = step, 0.0, []
        self._readings = 0

    def clock(self) -> float:
        self._readings += 1
        if self._readings % 2 == 0:  # the reading after the work
            self.now += self.step
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


@pytest.mark.parametrize(("share", "pause"), [(0.5, 0.2), (0.25, 0.6), (0.8, 0.05)])
def test_pacing_sleeps_for_the_share_of_cpu_it_leaves_to_others(share, pause):
    cpu = FakeCpu(0.2)
    pacer = stream.Pacer(share, clock=cpu.clock, sleep=cpu.sleep)

    assert pacer.run(lambda rows: rows * 2, 21) == 42

    assert cpu.slept == [pytest.approx(pause)]


def test_a_full_share_never_sleeps():
    cpu = FakeCpu(0.2)

    stream.Pacer(1, clock=cpu.clock, sleep=cpu.sleep).run(lambda: None)

    assert cpu.slept == []


class ThreadCpu:
    """A CPU clock per thread that advances 0.05 s at each reading, and a sleeper."""

    def __init__(self) -> None:
        self._local = threading.local()
        self.slept: list[float] = []

    def clock(self) -> float:
        self._local.now = getattr(self._local, "now", 0.0) + 0.05
        return self._local.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def test_an_export_pauses_after_each_page_for_its_fetching_and_formatting(api):
    query = TaskQuery(per_page=100)
    first = client.list_tasks(query)
    cpu = ThreadCpu()
    pacer = stream.Pacer(0.5, clock=cpu.clock, sleep=cpu.sleep)
    fmt = formats.CsvFormat(ZoneInfo("UTC"))

    data = b"".join(stream.stream(first, query, fmt, concurrency=2, max_rows=50_000, pacer=pacer))

    pages = first.meta.total_pages
    assert data.count(b"\n") == 1 + len(api.tasks)
    assert len(cpu.slept) == pages  # one pause per page written
    # 0.05 s per page formatted and per page fetched in the pool (all but the first):
    # at a share of 0.5, as long a pause as the work.
    assert sum(cpu.slept) == pytest.approx(0.05 * (2 * pages - 1))


def test_the_export_view_paces_with_the_setting(signed_in, api, settings, monkeypatch):
    settings.ACTIVITIES_EXPORT_CPU_SHARE = 0.25
    shares = []

    def pacer(share: float) -> stream.Pacer:
        shares.append(share)
        return stream.Pacer(share, sleep=lambda seconds: None)

    monkeypatch.setattr(views, "Pacer", pacer)

    assert signed_in.get(CSV_URL).status_code == 200
    assert shares == [0.25]


def test_the_lock_folder_is_one_per_installation_by_default(settings):
    from activities.exports.slots import host_folder

    settings.ACTIVITIES_EXPORT_LOCK_DIR = ""
    mine = host_folder()
    settings.BASE_DIR = Path("/srv/another-dashboard")

    assert host_folder() != mine
    assert host_folder().parent == mine.parent


def test_forgetting_the_process_slots_unlocks_their_host_files(tmp_path, settings):
    settings.ACTIVITIES_EXPORT_LOCK_DIR = str(tmp_path)
    settings.ACTIVITIES_EXPORT_HOST_SLOTS = 1
    export_slots().take("ana")  # never released: a download nobody read to the end
    with pytest.raises(ExportsBusy):
        HostSlots(tmp_path, 1).take("bruno")

    export_slots.cache_clear()

    HostSlots(tmp_path, 1).take("bruno")()


def test_a_lock_folder_of_another_account_is_not_used(tmp_path, caplog):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    try:
        os.chown(theirs, os.getuid() + 1, -1)
    except PermissionError:
        pytest.skip("only root can give a folder away")

    release = HostSlots(theirs, 1).take("ana")

    release()  # admitted on the per-process limits alone
    assert list(theirs.iterdir()) == []
    assert "belongs to another user" in caplog.text
