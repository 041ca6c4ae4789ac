"""Child processes for bench/run.py and the scripts (scaleout, lighthouse): start, watch, stop.

Every process is started in its own process group, so stopping it also stops what it
started (gunicorn's workers); `Processes.stop_all()` sends SIGTERM, then SIGKILL after a
grace period. The /proc readers (children, CPU time, peak memory) are Linux's.

Import it as `from bench.procs import ...` with the repository root on `sys.path`
(scripts run as `python scripts/x.py` have their own folder there instead: insert
`Path(__file__).resolve().parent.parent` first).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess  # nosec B404 (our own interpreter with fixed arguments)
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # every server these tools start listens on loopback only


class Failed(Exception):
    """A check could not run (a server that did not start, a command that failed)."""


def manage(env: dict[str, str], *args: str) -> None:
    """`manage.py ARGS` with this interpreter in the repository; `Failed` with its output."""
    done = subprocess.run(  # noqa: S603  # nosec B603 (our interpreter, fixed arguments)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise Failed(f"manage.py {args[0]} failed:\n{done.stdout}{done.stderr}")


def request(
    port: int, method: str, path: str, cookies: dict[str, str], form: dict | None = None
) -> tuple[int, dict[str, str], str]:
    """One request to 127.0.0.1:`port` as a browser would send it: `cookies` go along and
    Set-Cookie lands in them. Its status, headers and text."""
    headers = {"Host": HOST}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                cookies[name] = morsel.value
        return response.status, dict(response.getheaders()), text
    finally:
        connection.close()


def wait_for(
    port: int, path: str, process: subprocess.Popen, log: Path, timeout: float = 90
) -> None:
    """Until `path` answers 200 on `port`; `Failed` if `process` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Failed(f"a server on port {port} exited:\n{log_tail(log, 25)}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if request(port, "GET", path, {})[0] == 200:
                return
        time.sleep(0.2)
    raise Failed(f"nothing answered on port {port} within {timeout:.0f} s:\n{log_tail(log, 25)}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Processes:
    """Child processes, each in its own process group, all stopped by `stop_all()`."""

    def __init__(self, cwd: Path = ROOT, grace: float = 15.0) -> None:
        self.cwd = cwd
        self.grace = grace  # seconds between SIGTERM and SIGKILL
        self.running: list[subprocess.Popen] = []

    def start(
        self,
        command: list[str],
        env: dict[str, str] | None = None,
        log: Path | None = None,
        **popen: object,
    ) -> subprocess.Popen:
        """Start `command` in the repository; with `log`, its stdout and stderr go there."""
        if log is not None:
            popen.setdefault("stdout", log.open("w"))
            popen.setdefault("stderr", subprocess.STDOUT)
        # Our own interpreter with fixed arguments: nothing from outside reaches a shell.
        process = subprocess.Popen(  # noqa: S603  # nosec B603
            command, cwd=self.cwd, env=env, start_new_session=True, **popen
        )
        self.running.append(process)
        return process

    def stop(self, process: subprocess.Popen) -> int:
        """Stop one process group now (SIGTERM, then SIGKILL); return its exit status."""
        _terminate([process], self.grace)
        with contextlib.suppress(ValueError):
            self.running.remove(process)
        return process.returncode

    def stop_all(self) -> None:
        _terminate(self.running, self.grace)
        self.running.clear()


def _terminate(processes: list[subprocess.Popen], grace: float) -> None:
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def children_of(pid: int) -> list[int]:
    """The ids of the processes whose parent is `pid` (gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: split after it.
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def status_kib(pid: int, key: str) -> int | None:
    """A `kB` figure of /proc/<pid>/status (e.g. VmHWM, peak resident memory); None when
    the process is gone or has no such line."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


def reset_peak_rss(pids: list[int]) -> None:
    """Start each process's VmHWM afresh from its current resident memory (Linux ≥ 4.0),
    so that the next reading is the peak of what comes next, not of its whole life."""
    for pid in pids:
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/clear_refs").write_text("5")


def wait_with_peak(process: subprocess.Popen, timeout: float) -> tuple[int, int] | None:
    """Wait for `process` to exit: its exit status and peak resident memory in KiB; None
    when it is still running after `timeout` seconds.

    The peak is its VmHWM, read every 20 ms while it runs (the last reading is at most
    20 ms before it exits). Not the kernel's ru_maxrss of the child: that also counts
    the memory of the parent it was forked from, before its exec."""
    deadline = time.monotonic() + timeout
    peak = 0
    while True:
        peak = max(peak, status_kib(process.pid, "VmHWM") or 0)
        if process.poll() is not None:
            return process.returncode, peak
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02)


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time the processes have used so far (gone ones count 0)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def log_tail(path: Path, lines: int = 30) -> str:
    """The last `lines` lines of a log file, for an error message."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
