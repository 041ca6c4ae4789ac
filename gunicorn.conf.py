"""Gunicorn settings for running the dashboard in production: `gunicorn` from this folder.

Gunicorn reads this file by itself when started here; command-line options override it
(`gunicorn --bind 127.0.0.1:9000`). bench/run.py starts the dashboard with it.

Why threads: a page spends most of its time waiting for the Integration API (about
50 ms and more per call), during which a thread holds no CPU, so each process serves
`threads` pages at once. Why several processes: rendering, parsing and pickling are
Python code that holds the GIL, so one process uses at most one core; two per core
keep the cores busy while some threads wait. With 2 cores that is 4 workers of 8
threads: 32 pages in progress at once, and more connections wait in the backlog.
"""

import multiprocessing
import os

wsgi_app = "dashboard.wsgi:application"

# Loopback unless told otherwise: put a reverse proxy (TLS, static files) in front.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))

# A page gives up on the API after ACTIVITIES_API_BUDGET (10 s by default); a long
# export streams for longer, and gthread workers keep notifying the arbiter meanwhile.
timeout = 60
graceful_timeout = 30
# Browsers reuse their connection for the next page.
keepalive = 5

# Access lines on stdout; the activities logger already writes one line per API call.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The same lines as gunicorn's own logger, without escaping every header and environ
# variable for a format that prints none of them (dashboard/gunicorn_logging.py).
logger_class = "dashboard.gunicorn_logging.Logger"
