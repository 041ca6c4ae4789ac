"""pytest-xdist's `--dist loadfile`, with the browser files kept to all processes but one."""

from __future__ import annotations

from xdist.scheduler import LoadFileScheduling

BROWSER_FILES = "tests/e2e/"


class BrowserFilesOnFewerProcesses(LoadFileScheduling):
    """Whole files go out in collection order, as with `--dist loadfile`, except that:

    - the first processes (all but one: one per core with `-n auto`, tests/conftest.py)
      take the browser files first, then the others;
    - the last process takes only files without a browser.

    Each process that runs a browser test starts its own Chromium and Playwright driver,
    about 4.5 CPU-s; the files were handed to whichever process was free, so every
    process started one. The process without a browser still fills the time the others
    wait (for Chromium, or a test's own waits), which is what it is for.
    """

    def _runs_browsers(self, node) -> bool:
        browser_processes = max(1, len(self.nodes) - 1)
        return self.nodes.index(node) < browser_processes

    def _assign_work_unit(self, node) -> None:
        browser = self._runs_browsers(node)
        scopes = [s for s in self.workqueue if s.startswith(BROWSER_FILES) == browser]
        if not scopes and browser:
            scopes = list(self.workqueue)
        if not scopes:
            return  # only browser files are left: they wait for a process that runs them
        scope = scopes[0]
        work_unit = self.workqueue.pop(scope)
        self.assigned_work.setdefault(node, {})[scope] = work_unit
        collection = self.registered_collections[node]
        node.send_runtest_some(
            [collection.index(nodeid) for nodeid, done in work_unit.items() if not done]
        )
