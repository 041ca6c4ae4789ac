"""dashboard/wsgi.py leaves what Django loaded at start-up out of the garbage collector's passes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wsgi_module_freezes_what_start_up_loaded_and_serves():
    code = (
        "import gc, io\n"
        "import dashboard.wsgi as w\n"
        "print(gc.get_freeze_count())\n"
        "env = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/healthz', 'SERVER_NAME': 'localhost',"
        " 'SERVER_PORT': '80', 'HTTP_HOST': 'localhost', 'wsgi.input': io.BytesIO(),"
        " 'wsgi.url_scheme': 'http', 'SERVER_PROTOCOL': 'HTTP/1.1'}\n"
        "print(b''.join(w.application(env, lambda status, headers: None)).decode())\n"
    )
    env = {**os.environ, "DJANGO_DEBUG": "true", "DJANGO_SETTINGS_MODULE": "dashboard.settings"}
    done = subprocess.run(  # noqa: S603 (this interpreter, fixed code)
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    frozen, body = done.stdout.splitlines()[:2]
    assert int(frozen) > 10_000  # Django and the project's modules, not a handful
    assert body == '{"status": "ok"}'
