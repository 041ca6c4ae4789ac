"""The test package; it keeps compiled test modules in a cache outside the tree.

pytest rewrites each test module's asserts (for its failure messages) and caches the
result next to the module, as Python caches bytecode. With PYTHONDONTWRITEBYTECODE set
(some shells and containers set it to keep source trees clean) nothing is cached: every
pytest-xdist process rewrites all the test modules and compiles the dashboard again,
about 4 CPU-s each per run. The test processes then keep their bytecode in a folder of
the temporary directory instead (sys.pycache_prefix): the tree stays clean and the second
run collects in half the time. A PYTHONPYCACHEPREFIX of your own is kept.

The processes the tests start (manage.py, the sandbox, pytest-xdist's workers) use the
same folder and write to it too. Without it they compiled the dashboard's own modules
afresh at every start (no `__pycache__` in the tree), about a sixth of a Django start;
with it, only the first run on a machine compiles what they import (the installed
packages' bytecode is looked up in the folder as well).
"""

import os
import sys
import tempfile

if sys.dont_write_bytecode:
    if not sys.pycache_prefix:
        sys.pycache_prefix = os.path.join(tempfile.gettempdir(), "dashboard-tests-pycache")
    sys.dont_write_bytecode = False
    os.environ["PYTHONPYCACHEPREFIX"] = sys.pycache_prefix
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
